/*
 * The levels above 0 of a graph built by partitions. Only one node in m
 * reaches level 1, so the nodes above level 0 fit in memory when all of
 * them do not: they get their own graph, whose level 0 is the big graph's
 * level 1, built with the levels the big graph drew for them less one.
 */
#ifndef VDB_PARTITIONED_UPPER_LAYERS_H
#define VDB_PARTITIONED_UPPER_LAYERS_H

#include "partitioned/partition.h"
#include "graph/graph.h"

/* Bytes vdb_build_upper_layers needs for `nodes` nodes above level 0 of `dim` floats and m links. */
uint64_t vdb_upper_layers_bytes(uint64_t nodes, uint32_t dim, uint32_t m);

/*
 * Link graph's levels >= 1 among its nodes that reach them (after
 * vdb_hnsw_reserve drew the levels; node i's vector is row i of `rows`),
 * and set its entry and top level. Level 0 is left alone.
 * VDB_OK or VDB_ENOMEM (with levels >= 1 unlinked).
 */
int vdb_build_upper_layers(vdb_hnsw *graph, const vdb_build_rows *rows, uint64_t seed, uint32_t threads);

#endif
