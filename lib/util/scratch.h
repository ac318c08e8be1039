/*
 * Per-search scratch: an epoch-tagged visited set (a node is visited when its
 * tag equals the current epoch, so clearing is one increment) plus the beam
 * search's heaps. A pool hands one to each searching thread, so steady-state
 * searches allocate nothing.
 */
#ifndef VDB_SCRATCH_H
#define VDB_SCRATCH_H

#include "util/heap.h"

#include <pthread.h>
#include <stdint.h>

typedef struct vdb_scratch {
    uint16_t *tags;
    uint32_t tag_capacity;
    uint16_t epoch;
    vdb_heap candidates;
    vdb_heap results;
    uint32_t *neighbors; /* a copy of one link list, taken under the node's lock while building */
    uint32_t neighbor_capacity;
    float *query_weights; /* a query made ready for code rows (codes/coded_query.h) */
    uint32_t weight_capacity;
    int request_rows;   /* ask the kernel for each row's pages before reading it (see graph/search.c) */
    uint64_t distances; /* distances the beam search computed: how a search times itself */
    struct vdb_scratch *next_free;
} vdb_scratch;

typedef struct vdb_scratch_pool {
    pthread_mutex_t lock;
    vdb_scratch *free_list;
} vdb_scratch_pool;

void vdb_scratch_pool_init(vdb_scratch_pool *pool);
void vdb_scratch_pool_destroy(vdb_scratch_pool *pool);

/* What a search needs room for. */
typedef struct vdb_scratch_size {
    uint32_t nodes;        /* nodes it may visit: the graph's node count */
    uint32_t links;        /* links in the longest block */
    uint32_t ef;           /* beam width */
    uint32_t query_floats; /* floats a coded query needs: the dimension, or 0 without codes */
} vdb_scratch_size;

/*
 * Take a scratch with room for a search of `size`: the results heap holds ef
 * plus a block of links, the candidates heap twice that, which a search
 * keeps to by dropping candidates it will never expand (graph/search.c).
 * VDB_OK or VDB_ENOMEM. Give it back with vdb_scratch_release.
 */
int vdb_scratch_acquire(vdb_scratch_pool *pool, vdb_scratch_size size, vdb_scratch **out);
void vdb_scratch_release(vdb_scratch_pool *pool, vdb_scratch *scratch);

/* Start a new search: every node becomes unvisited. */
static inline void vdb_scratch_new_epoch(vdb_scratch *scratch)
{
    if (++scratch->epoch == 0) { /* wrapped: old tags could collide, clear them once */
        for (uint32_t i = 0; i < scratch->tag_capacity; i++)
            scratch->tags[i] = 0;
        scratch->epoch = 1;
    }
    scratch->candidates.size = 0;
    scratch->results.size = 0;
}

/* Mark node visited; returns 1 if it already was. */
static inline int vdb_scratch_visit(vdb_scratch *scratch, uint32_t node)
{
    if (scratch->tags[node] == scratch->epoch)
        return 1;
    scratch->tags[node] = scratch->epoch;
    return 0;
}

#endif
