/*
 * Compressed copies of the vectors that searches walk the graph with
 * (vdb.h, "Codes"): int8 (codes/int8_quantizer.h) or PQ
 * (codes/pq_quantizer.h). A code row is a node's `bytes` code bytes, zeros
 * up to a multiple of 4, then the squared norm of the vector the bytes stand
 * for (a float), which L2 and cosine distances need.
 *
 * As vectors/store.h keeps the float rows, the rows of nodes
 * [0, mapped_count) may be a section of a mapped index file and the rest are
 * on the heap; the quantizer is mapped or owned too. Until the codes are
 * trained there are no rows and searches read floats.
 */
#ifndef VDB_CODES_H
#define VDB_CODES_H

#include "kernels/int8.h"
#include "kernels/pq.h"
#include "vectors/store.h"

#include <stdint.h>
#include <string.h>

/* Vectors an index needs before its codes are trained, and the most rows training reads. */
enum { VDB_INT8_TRAIN_MIN = 1024, VDB_INT8_TRAIN_SAMPLE = 65536 };
enum { VDB_PQ_TRAIN_MIN = 4096, VDB_PQ_TRAIN_SAMPLE = 16384 };

typedef struct vdb_code_store {
    int32_t kind; /* enum vdb_codes; VDB_CODES_NONE: no codes at all */
    uint32_t dim;
    uint32_t bytes;         /* code bytes per vector: dim for int8, the subspaces for PQ */
    uint32_t stride;        /* bytes per row */
    int trained;            /* quantizer and rows exist, one row per node of the store */
    const float *quantizer; /* int8: offsets and steps; PQ: codebooks */
    float *owned_quantizer; /* the quantizer's storage when trained here, else NULL */
    float *pq_norms;        /* PQ, once coding is needed: each centroid's squared norm */
    int pq_norms_ready;

    const uint8_t *mapped; /* rows of nodes [0, mapped_count) */
    uint32_t mapped_count;
    uint8_t *owned; /* rows of nodes [mapped_count, mapped_count + owned_count) */
    uint64_t owned_count;
    uint64_t owned_capacity;

    /* the kernels this CPU runs best */
    vdb_dot_u8_fn dot;
    vdb_dot_u8x4_fn dot4;
    vdb_pq_sum_fn pq_sum;
} vdb_code_store;

/* Code bytes per vector for a kind, dimension and the config's code_bytes (PQ: 0 = dim / 8, at least 1). */
uint32_t vdb_codes_bytes(int32_t kind, uint32_t dim, uint32_t code_bytes);

/* Row bytes for `bytes` code bytes. */
static inline uint32_t vdb_codes_stride(uint32_t bytes) { return (bytes + 3) / 4 * 4 + (uint32_t)sizeof(float); }

/* Floats of a kind's quantizer. */
uint64_t vdb_codes_quantizer_floats(int32_t kind, uint32_t dim);

/* Floats a query made ready for a kind's rows needs (codes/coded_query.h). */
uint32_t vdb_codes_query_floats(int32_t kind, uint32_t dim, uint32_t bytes);

/* No codes yet, of kind (VDB_CODES_NONE: never any), `bytes` code bytes per vector (vdb_codes_bytes). */
void vdb_codes_init(vdb_code_store *codes, int32_t kind, uint32_t dim, uint32_t bytes);

/* Trained codes whose quantizer and first `count` rows are in a mapping (an index file's sections). */
void vdb_codes_init_mapped(vdb_code_store *codes, int32_t kind, uint32_t dim, uint32_t bytes, const float *quantizer,
                           const uint8_t *rows, uint32_t count);

/* The first problem of a quantizer read from a file, as text for a message, or NULL when it can be used. */
const char *vdb_codes_check_quantizer(int32_t kind, const float *quantizer, uint32_t dim);

/*
 * Room for the codes of a store that will hold `nodes` nodes: rows if
 * trained, or the quantizer and every row if `nodes` reaches the kind's
 * training minimum. VDB_OK or VDB_ENOMEM, and then nothing observable changed.
 */
int vdb_codes_reserve(vdb_code_store *codes, uint64_t nodes);

/*
 * Catch up with the store after nodes were added (vdb_codes_reserve made
 * room): code the new rows, or train on the store's rows and code them all
 * once there are enough, on `threads` workers, PQ from `seed`. Only PQ
 * training can fail (out of memory): the codes then stay untrained, searches
 * read floats, and the next change tries again.
 */
void vdb_codes_update(vdb_code_store *codes, const vdb_store *store, uint64_t seed, uint32_t threads);

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
