/*
 * The two walks HNSW is made of, shared by insertion and by queries: greedy
 * descent on one upper level, and the ef-wide beam search on a level. With
 * `locked` set, link lists are copied under their node's lock because other
 * threads may be rewriting them (parallel insertion).
 */
#ifndef VDB_HNSW_SEARCH_H
#define VDB_HNSW_SEARCH_H

#include "graph/hnsw.h"

/* From `start`, move to a nearer neighbour on `level` until none is nearer. */
vdb_candidate vdb_hnsw_greedy(const vdb_hnsw *graph, const float *query, vdb_candidate start, uint32_t level,
                              vdb_scratch *scratch, int locked);

/*
 * Beam search on `level` from `entry` with width ef. Leaves the best (up to ef)
 * in scratch->results as a max-heap.
 */
void vdb_hnsw_beam(const vdb_hnsw *graph, const float *query, vdb_candidate entry, uint32_t level, uint32_t ef,
                   vdb_scratch *scratch, int locked);

#endif
