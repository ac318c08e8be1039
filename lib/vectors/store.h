/*
 * The one owner of "where node i's vector is". Every other part of the
 * library asks vdb_store_get() and keeps no pointer of its own.
 *
 * Nodes are numbered 0 .. n-1. The first `mapped_count` nodes, possibly
 * none, have their rows in a mapped file, used in place and never copied: a
 * user's vector file (vdb_map_vectors) or the vectors section of an index
 * file (vdb_open). The nodes after them have rows in a heap block the index
 * owns: vectors given to vdb_add or vdb_upsert. So an index opened from a
 * file keeps reading its old vectors from the file while new ones go to the
 * heap, and a later kind of row (compressed codes) plugs in here.
 */
#ifndef VDB_STORE_H
#define VDB_STORE_H

#include <stdint.h>

typedef struct vdb_store {
    uint32_t dim;

    /* nodes [0, mapped_count): rows of a mapping */
    const float *mapped;    /* the row of node 0 when row_of is NULL, else row 0 of the file */
    uint64_t mapped_stride; /* floats from one row of the file to the next */
    const uint32_t *row_of; /* NULL: node i is the i-th row from `mapped`; else row_of[i] is its row number */
    uint32_t mapped_count;
    uint32_t *row_numbers; /* row_of's storage, filled ahead by vdb_store_reserve_file_rows */
    uint64_t row_numbers_capacity;

    /* nodes [mapped_count, mapped_count + owned_count): rows the index owns */
    float *owned;
    uint64_t owned_count;
    uint64_t owned_capacity;
} vdb_store;

static inline const float *vdb_store_get(const vdb_store *rows, uint32_t node)
{
    if (node < rows->mapped_count)
        return rows->mapped + rows->mapped_stride * (rows->row_of ? rows->row_of[node] : node);
    return rows->owned + (uint64_t)rows->dim * (node - rows->mapped_count);
}

/* Rows that all live on the heap (vdb_create). */
void vdb_store_init_owned(vdb_store *rows, uint32_t dim);

/* Nodes [0, count) are consecutive rows of a mapping starting at `first` (an index file's vectors). */
void vdb_store_init_mapped(vdb_store *rows, uint32_t dim, const float *first, uint64_t stride, uint32_t count);

/*
 * Rows [first, first + count) of a mapped vector file whose row 0 is
 * `file_rows` become the next nodes, in two steps so that a caller can
 * reserve everything before it changes anything: reserve (VDB_OK or
 * VDB_ENOMEM, nothing observable changes), then link (cannot fail). Rows
 * linked in one ascending run (build(0, n), then build(n, m), ...) are node
 * i = row first + i and need no lookup, which saves a likely cache miss per
 * distance; any other order keeps each node's row number.
 */
int vdb_store_reserve_file_rows(vdb_store *rows, const float *file_rows, uint64_t stride, uint64_t first,
                                uint32_t count);
void vdb_store_link_file_rows(vdb_store *rows, const float *file_rows, uint64_t stride, uint64_t first, uint32_t count);

/* Room on the heap for `more` rows after the present ones: VDB_OK or VDB_ENOMEM. */
int vdb_store_reserve(vdb_store *rows, uint64_t more);

/* Copy n rows in as the next nodes; vdb_store_reserve made room. */
void vdb_store_append(vdb_store *rows, const float *vectors, uint64_t n);

/*
 * Row i after the present ones, in the room vdb_store_reserve made, for a
 * caller that fills rows in place (from another thread, say) and then makes
 * them the next nodes with vdb_store_append_filled.
 */
static inline float *vdb_store_unfilled_row(const vdb_store *rows, uint64_t i)
{
    return rows->owned + (rows->owned_count + i) * rows->dim;
}

static inline void vdb_store_append_filled(vdb_store *rows, uint64_t n) { rows->owned_count += n; }

/* Nodes that have rows. */
static inline uint64_t vdb_store_count(const vdb_store *rows) { return rows->mapped_count + rows->owned_count; }

void vdb_store_destroy(vdb_store *rows);

#endif
