/*
 * Filters (vdb_filter) and the searches they restrict. A filter is an
 * allow-list (a hash set of ids, plus the list itself for exact scans) or a
 * caller's predicate. A filtered search picks one of two ways per query:
 *  - the graph, with results restricted to allowed nodes: the walk goes on
 *    through rejected nodes until it has ef allowed ones, so the fewer are
 *    allowed the longer it walks;
 *  - an exact scan of the allowed vectors, whose cost grows with how many
 *    are allowed (an allow-list) or with the index (a predicate).
 * It takes the one expected to cost fewer distance computations; the cost
 * model's constants were measured (bench/filtered.c, docs/benchmarks.md).
 */
#ifndef VDB_FILTER_H
#define VDB_FILTER_H

#include "index/index.h"

#include <pthread.h>

struct vdb_filter {
    /* an allow-list */
    uint64_t *list; /* its distinct ids */
    uint64_t list_count;
    uint64_t *slots; /* a hash set of the same ids; VDB_NO_ID marks an empty slot */
    uint64_t slot_count;

    /* or a predicate */
    int (*allow)(uint64_t id, void *ctx);
    void *ctx;

    /*
     * For a predicate: the share of an index's live nodes it allowed in a
     * sample, and what a call cost beside a distance, kept for the next search.
     */
    pthread_mutex_t lock;
    const vdb_index *sampled_index;
    uint64_t sampled_nodes; /* the index's node count then, so that a changed index is sampled again */
    double share;
    double lookup_cost;
};

int vdb_filter_new_list(vdb_filter **out, const uint64_t *ids, uint64_t n);
int vdb_filter_new_predicate(vdb_filter **out, int (*allow)(uint64_t id, void *ctx), void *ctx);
void vdb_filter_free(vdb_filter *filter);

/* Whether the filter allows id. */
int vdb_filter_allows(const vdb_filter *filter, uint64_t id);

/* Which way a filtered search goes: chosen by cost, or forced (for tests and bench/filtered.c). */
typedef enum { VDB_FILTER_BY_COST, VDB_FILTER_BY_SCAN, VDB_FILTER_BY_GRAPH } vdb_filter_way;

/*
 * The k nearest allowed live vectors to query, as (distance, node) pairs
 * nearest first in results[0 .. *found). ef as in vdb_search (0 = the
 * index's). VDB_OK or VDB_ENOMEM.
 */
int vdb_filtered_search(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, const vdb_filter *filter,
                        vdb_filter_way way, vdb_candidate *results, uint32_t *found);

#endif
