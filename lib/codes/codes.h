/*
 * Compressed copies of the vectors that searches walk the graph with
 * (vdb.h, "Codes"). An int8 code row is node's `dim` bytes, zeros up to a
 * multiple of 4, then the squared norm of the vector the bytes stand for
 * (a float): byte c of dimension d stands for offset[d] + step[d] * c.
 *
 * As vectors/store.h keeps the float rows, the rows of nodes
 * [0, mapped_count) may be a section of a mapped index file and the rest are
 * on the heap; the quantizer (offsets, then steps) is mapped or owned too.
 * Until the codes are trained there are no rows and searches read floats.
 */
#ifndef VDB_CODES_H
#define VDB_CODES_H

#include "kernels/int8.h"
#include "vectors/store.h"

#include <stdint.h>
#include <string.h>

enum { VDB_CODES_TRAIN_MIN = 1024, VDB_CODES_TRAIN_SAMPLE = 65536 };

typedef struct vdb_code_store {
    int32_t kind; /* enum vdb_codes; VDB_CODES_NONE: no codes at all */
    uint32_t dim;
    uint32_t stride;        /* bytes per row */
    int trained;            /* quantizer and rows exist, one row per node of the store */
    const float *quantizer; /* offsets[dim], then steps[dim] */
    float *owned_quantizer; /* the quantizer's storage when trained here, else NULL */

    const uint8_t *mapped; /* rows of nodes [0, mapped_count) */
    uint32_t mapped_count;
    uint8_t *owned; /* rows of nodes [mapped_count, mapped_count + owned_count) */
    uint64_t owned_count;
    uint64_t owned_capacity;

    vdb_dot_u8_fn dot; /* the kernels this CPU runs best */
    vdb_dot_u8x4_fn dot4;
} vdb_code_store;

/* Row bytes for int8 codes of dim dimensions. */
static inline uint32_t vdb_codes_stride(uint32_t dim) { return (dim + 3) / 4 * 4 + (uint32_t)sizeof(float); }

/* No codes yet, of kind (VDB_CODES_NONE: never any). */
void vdb_codes_init(vdb_code_store *codes, int32_t kind, uint32_t dim);

/* Trained codes whose quantizer and first `count` rows are in a mapping (an index file's sections). */
void vdb_codes_init_mapped(vdb_code_store *codes, int32_t kind, uint32_t dim, const float *quantizer,
                           const uint8_t *rows, uint32_t count);

/*
 * Room for the codes of a store that will hold `nodes` nodes: rows if trained,
 * or the quantizer and every row if `nodes` reaches VDB_CODES_TRAIN_MIN.
 * VDB_OK or VDB_ENOMEM, and then nothing changed.
 */
int vdb_codes_reserve(vdb_code_store *codes, uint64_t nodes);

/*
 * Catch up with the store after nodes were added (vdb_codes_reserve made room):
 * code the new rows, or train on the store's rows and code them all once
 * there are enough. Cannot fail.
 */
void vdb_codes_update(vdb_code_store *codes, const vdb_store *store);

static inline const uint8_t *vdb_codes_row(const vdb_code_store *codes, uint32_t node)
{
    if (node < codes->mapped_count)
        return codes->mapped + (uint64_t)codes->stride * node;
    return codes->owned + (uint64_t)codes->stride * (node - codes->mapped_count);
}

/* The squared norm of the vector a row stands for. */
static inline float vdb_codes_norm2(const vdb_code_store *codes, const uint8_t *row)
{
    float norm2;
    memcpy(&norm2, row + codes->stride - sizeof norm2, sizeof norm2);
    return norm2;
}

/* Nodes that have rows. */
static inline uint64_t vdb_codes_count(const vdb_code_store *codes) { return codes->mapped_count + codes->owned_count; }

void vdb_codes_destroy(vdb_code_store *codes);

#endif
