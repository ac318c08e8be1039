/*
 * Splitting a build's rows into partitions that each fit in memory, for a
 * build larger than its memory (partitioned/partitioned_build.h). Centroids come
 * from k-means on a sample; each row goes to its nearest partition with
 * room (its home) and the rows nearest to a boundary also go to the
 * partition across it (their extra), so that the graphs built apart share
 * nodes, and merging them joins the partitions where they meet.
 */
#ifndef VDB_PARTITIONED_PARTITION_H
#define VDB_PARTITIONED_PARTITION_H

#include <stdint.h>

#define VDB_NO_PARTITION UINT16_MAX
#define VDB_MAX_PARTITIONS 4096u

/* The rows of a build: row i is at first + i * stride floats. */
typedef struct vdb_build_rows {
    const float *first;
    uint64_t stride;
    uint32_t count;
    uint32_t dim;
} vdb_build_rows;

static inline const float *vdb_build_row(const vdb_build_rows *rows, uint32_t row)
{
    return rows->first + (uint64_t)row * rows->stride;
}

typedef struct vdb_partitions {
    uint32_t count;
    uint16_t *home;  /* a partition per row */
    uint16_t *extra; /* a second partition per row, or VDB_NO_PARTITION */
    uint32_t *sizes; /* rows in each partition, extras included */
} vdb_partitions;

/* The shape of a split: how many partitions, the most rows each may hold, how many rows go to two. */
typedef struct vdb_partition_plan {
    uint32_t partitions;
    uint32_t capacity;
    uint32_t extras;
} vdb_partition_plan;

/*
 * Split rows as plan says (partitions * capacity >= rows + extras) on
 * `threads` workers, into more partitions than it says where the rows'
 * clusters would overfill some; the same rows, plan and seed give the
 * same split. Reads a sample, then every row once, in order. VDB_OK or
 * VDB_ENOMEM.
 */
int vdb_partitions_make(vdb_partitions *out, const vdb_build_rows *rows, const vdb_partition_plan *plan, uint64_t seed,
                        uint32_t threads);

/* Partition p's rows, ascending, into `members` (room for sizes[p]). */
void vdb_partition_members(const vdb_partitions *partitions, uint32_t p, uint32_t *members);

void vdb_partitions_destroy(vdb_partitions *partitions);

#endif
