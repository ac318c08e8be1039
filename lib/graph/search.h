/*
 * The two walks HNSW is made of, shared by insertion and by queries: greedy
 * descent on one upper level, and the ef-wide beam search on a level. With
 * `locked` set, link lists are copied under their node's lock because other
 * threads may be rewriting them (parallel insertion).
 */
#ifndef VDB_GRAPH_SEARCH_H
#define VDB_GRAPH_SEARCH_H

#include "codes/coded_query.h"
#include "graph/graph.h"

/*
 * Which nodes may be results, besides being live. A search walks through
 * every node, but only live accepted ones enter its results: deleted nodes
 * and those a filter rejects still carry the walk to their neighbours. NULL
 * accepts every live node.
 */
typedef struct vdb_accept {
    int (*accepts)(const void *context, uint32_t node); /* 1 when node may be a result; thread-safe */
    const void *context;
} vdb_accept;

/* What a walk measures distances from: the query's floats, or its coded form. */
typedef struct vdb_query {
    const float *vector;
    const vdb_coded_query *coded; /* NULL: measure against the float32 rows */
} vdb_query;

/* From `start`, move to a nearer neighbour on `level` until none is nearer. */
vdb_candidate vdb_hnsw_greedy(const vdb_hnsw *graph, const vdb_query *query, vdb_candidate start, uint32_t level,
                              vdb_scratch *scratch, int locked);

/*
 * Beam search on `level` from `entry` with width ef (at most the ef the
 * scratch was sized for). Leaves the best accepted nodes, up to ef, in
 * scratch->results as a max-heap. VDB_OK, or VDB_ENOMEM when the candidate
 * list had to grow and could not; the results are then what was found so far.
 */
int vdb_hnsw_beam(const vdb_hnsw *graph, const vdb_query *query, vdb_candidate entry, uint32_t level, uint32_t ef,
                  const vdb_accept *accept, vdb_scratch *scratch, int locked);

/*
 * Give the `rerank` nearest results by code in a results heap their float
 * distances, and keep the k nearest of those. `request`: the float rows may
 * be on the disk, so ask for them all before reading one. Returns the rows measured.
 */
uint32_t vdb_hnsw_rerank(const vdb_hnsw *graph, const float *query, uint32_t k, uint32_t rerank, int request,
                         vdb_heap *heap);

/*
 * The k nearest accepted nodes to query, nearest first, into results[0 ..
 * *found). With trained codes the walk measures codes, and the `rerank`
 * best candidates (0: all ef; at least k) are measured again with the float
 * rows, which give the order and distances returned. VDB_OK or VDB_ENOMEM.
 * Read-only on the graph: any number may run at once while nothing is inserting.
 */
int vdb_hnsw_search(const vdb_hnsw *graph, const float *query, uint32_t k, uint32_t ef, uint32_t rerank,
                    const vdb_accept *accept, vdb_candidate *results, uint32_t *found);

#endif
