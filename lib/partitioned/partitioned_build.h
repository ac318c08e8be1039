/*
 * A build larger than its memory, as DiskANN does it: split the rows into
 * partitions that each fit (partitioned/partition.h), rows near a boundary going
 * to both sides; build each partition's graph in memory from its rows,
 * read in file order; merge each node's level-0 links from the graphs it
 * is in; link the levels above 0, which hold one node in m, on their own
 * (partitioned/upper_layers.h). The rows are read in order, once per partition
 * and once to split them, so the build runs at the speed of the CPU, not of
 * random reads, whatever share of the rows fits in memory.
 */
#ifndef VDB_PARTITIONED_BUILD_H
#define VDB_PARTITIONED_BUILD_H

#include "partitioned/partition.h"
#include "graph/graph.h"
#include "graph/insert.h"

/* Whether a build of all `rows` at once fits in `memory` bytes, with vdb_partitioned_build_plan's arguments. */
int vdb_partitioned_build_fits(uint64_t rows, uint32_t dim, uint32_t m, uint32_t threads, uint64_t fixed_per_row,
                               uint64_t memory);

/*
 * How a build of `rows` rows of `dim` floats on `threads` threads into a
 * graph with m links per node stays within `memory` bytes; `fixed_per_row`
 * is what the index keeps per row besides the graph (its codes). VDB_OK
 * with plan->partitions == 0 when a build of all rows at once fits;
 * VDB_OK with a plan; or VDB_EINVAL, with a message giving the least memory
 * that would do, when even partitions do not fit.
 */
int vdb_partitioned_build_plan(vdb_partition_plan *plan, uint64_t rows, uint32_t dim, uint32_t m, uint32_t threads,
                               uint64_t fixed_per_row, uint64_t memory);

/*
 * Link graph's nodes, which vdb_hnsw_reserve made room for and of which it
 * has no others (node i's vector is row i), by `plan`. Progress as in
 * vdb_hnsw_insert, counting rows. VDB_OK; VDB_ECANCELED or VDB_ENOMEM, and
 * then the nodes' links are incomplete and the caller must delete them all.
 */
int vdb_partitioned_build(vdb_hnsw *graph, const vdb_build_rows *rows, const vdb_partition_plan *plan, uint64_t seed,
                          uint32_t threads, const vdb_progress *progress);

#endif
