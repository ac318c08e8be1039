/*
 * The ids users know their vectors by, and the check that each is used once.
 * An index made by vdb_add keeps a hash set of its ids; an index over a
 * mapped vector file uses row numbers as ids and keeps one bit per row.
 */
#ifndef VDB_LABELS_H
#define VDB_LABELS_H

#include <stdint.h>

typedef struct vdb_labels {
    uint64_t *ids; /* id of node i; for a mapped vector file also its row */
    uint64_t capacity;
    uint64_t count;
    uint64_t *set_slots; /* open addressing; UINT64_MAX marks an empty slot */
    uint64_t set_capacity;
    uint64_t *row_bits; /* for a mapped vector file: which rows are in the graph */
    uint64_t row_count;
} vdb_labels;

/* Labels for an index over a vector file of row_count rows; 0 when out of memory. */
int vdb_labels_init_rows(vdb_labels *labels, uint64_t row_count);

/* Room for `more` ids without allocating; 0 when out of memory. */
int vdb_labels_reserve(vdb_labels *labels, uint64_t more);

/* 1 when id is already present. */
int vdb_labels_contains(const vdb_labels *labels, uint64_t id);

/* Append id (after vdb_labels_reserve; the caller has checked it is new). */
void vdb_labels_append(vdb_labels *labels, uint64_t id);

void vdb_labels_destroy(vdb_labels *labels);

#endif
