/*
 * Where an index's vectors live: a growable heap block owned by the index
 * (vdb_add), or rows of a mapped file (a user's vector file, or the vectors
 * section of an index file) that are never copied.
 */
#ifndef VDB_STORE_H
#define VDB_STORE_H

#include <stdint.h>

typedef struct vdb_store {
    uint32_t dim;
    uint64_t stride;   /* floats from one row to the next */
    const float *rows; /* row 0 */
    uint64_t count;    /* rows present */
    float *owned;      /* the heap block when the store owns its rows, else NULL */
    uint64_t capacity; /* rows the heap block has room for */
} vdb_store;

/* A store over rows that live elsewhere (a mapping); it frees nothing. */
void vdb_store_view(vdb_store *store, const float *rows, uint64_t count, uint32_t dim, uint64_t stride);

/* An empty owning store. */
void vdb_store_init_owned(vdb_store *store, uint32_t dim);

/* Room for `more` rows after the present ones; 0 when out of memory. */
int vdb_store_reserve(vdb_store *store, uint64_t more);

/* Copy n rows in after the present ones; vdb_store_reserve must have made room. */
void vdb_store_append(vdb_store *store, const float *rows, uint64_t n);

void vdb_store_destroy(vdb_store *store);

#endif
