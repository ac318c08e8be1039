/*
 * Linking new nodes into the graph, in parallel, with the diversity
 * heuristic for choosing neighbours (Malkov & Yashunin, algorithm 4): a
 * candidate is kept only if it is nearer to the new node than to every
 * neighbour kept before it, which spreads links across directions and keeps
 * clusters connected.
 */
#ifndef VDB_GRAPH_INSERT_H
#define VDB_GRAPH_INSERT_H

#include "graph/graph.h"

/*
 * A caller's progress callback (vdb_set_progress): told how many of `total`
 * nodes are linked, from the calling thread only, and a non-zero return
 * cancels. NULL report: no callback.
 */
typedef struct vdb_progress {
    int (*report)(uint64_t done, uint64_t total, void *context);
    void *context;
} vdb_progress;

/*
 * Link the `more` nodes vdb_hnsw_reserve made room for, on `threads` workers;
 * their vectors must be readable. Deleted nodes are walked through but never
 * become links. Every node is linked; VDB_ENOMEM means some searches could
 * not grow their candidate lists (only with huge numbers of equal distances)
 * and their nodes got the best links found until then. With a progress
 * callback (NULL: none), VDB_ECANCELED means it asked to stop: the nodes
 * not yet begun stay without links, and the caller must delete them all.
 */
int vdb_hnsw_insert(vdb_hnsw *graph, uint32_t more, uint32_t threads, const vdb_progress *progress);

/*
 * One node's insertion in its two steps, which vdb_hnsw_insert runs back to
 * back on each worker: begin chooses the node's links while no other node
 * can reach it; end links its neighbours back to it, which makes it
 * reachable. Tests call them apart to replay an interleaving of threads.
 */
typedef struct {
    uint32_t node;
    uint64_t published_before; /* nodes reachable when its search began */
    uint32_t lowest_top;       /* the levels it got links on: 0 .. lowest_top */
} vdb_hnsw_pending;

vdb_hnsw_pending vdb_hnsw_insert_begin(vdb_hnsw *graph, uint32_t node, vdb_scratch *scratch);
void vdb_hnsw_insert_end(vdb_hnsw *graph, const vdb_hnsw_pending *pending, vdb_scratch *scratch);

/*
 * The heuristic over candidates sorted nearest first by their distance to
 * one node: a candidate is kept unless a neighbour kept before it is nearer
 * to it than the node is. Writes up to `limit` of them to `selected`,
 * returns how many.
 */
uint32_t vdb_hnsw_select_neighbors(const vdb_hnsw *graph, const vdb_candidate *sorted, uint32_t count, uint32_t limit,
                                   uint32_t *selected);

#endif
