/*
 * The code store: rows on the heap and in a mapping, training when the
 * index first has enough vectors, and coding new rows, in parallel for PQ
 * (hundreds of distances per vector) and in a loop for int8.
 */
#include "codes/codes.h"

#include "codes/int8_quantizer.h"
#include "codes/pq_quantizer.h"
#include "util/parallel.h"
#include "vdb.h"

#include <stdlib.h>

enum { CODE_CHUNK = 256 }; /* rows a worker codes at a time */

uint32_t vdb_codes_bytes(int32_t kind, uint32_t dim, uint32_t code_bytes)
{
    if (kind == VDB_CODES_INT8)
        return dim;
    if (kind == VDB_CODES_PQ)
        return code_bytes ? code_bytes : dim >= 8 ? dim / 8 : 1;
    return 0;
}

uint64_t vdb_codes_quantizer_floats(int32_t kind, uint32_t dim)
{
    return kind == VDB_CODES_INT8 ? vdb_int8_quantizer_floats(dim)
           : kind == VDB_CODES_PQ ? vdb_pq_quantizer_floats(dim)
                                  : 0;
}

uint32_t vdb_codes_query_floats(int32_t kind, uint32_t dim, uint32_t bytes)
{
    return kind == VDB_CODES_INT8 ? dim : kind == VDB_CODES_PQ ? VDB_PQ_CENTROIDS * bytes : 0;
}

static uint64_t train_min(int32_t kind) { return kind == VDB_CODES_PQ ? VDB_PQ_TRAIN_MIN : VDB_INT8_TRAIN_MIN; }

void vdb_codes_init(vdb_code_store *codes, int32_t kind, uint32_t dim, uint32_t bytes)
{
    *codes = (vdb_code_store){.kind = kind, .dim = dim, .bytes = bytes, .stride = vdb_codes_stride(bytes)};
    if (kind != VDB_CODES_NONE) {
        codes->dot = vdb_dot_u8_for();
        codes->dot4 = vdb_dot_u8x4_for();
        codes->pq_sum = vdb_pq_sum_for();
    }
}

void vdb_codes_init_mapped(vdb_code_store *codes, int32_t kind, uint32_t dim, uint32_t bytes, const float *quantizer,
                           const uint8_t *rows, uint32_t count)
{
    vdb_codes_init(codes, kind, dim, bytes);
    codes->trained = 1;
    codes->quantizer = quantizer;
    codes->mapped = rows;
    codes->mapped_count = count;
}

const char *vdb_codes_check_quantizer(int32_t kind, const float *quantizer, uint32_t dim)
{
    if (kind == VDB_CODES_INT8 && vdb_int8_first_bad(quantizer, dim) < dim)
        return "an offset or step that is not a finite number, or a negative step";
    if (kind == VDB_CODES_PQ && !vdb_pq_codebooks_finite(quantizer, dim))
        return "a codebook value that is not a finite number";
    return NULL;
}

int vdb_codes_reserve(vdb_code_store *codes, uint64_t nodes)
{
    if (codes->kind == VDB_CODES_NONE || (!codes->trained && nodes < train_min(codes->kind)))
        return VDB_OK;
    uint64_t rows = nodes - codes->mapped_count;
    if (rows > codes->owned_capacity) {
        uint64_t capacity = codes->owned_capacity + codes->owned_capacity / 2;
        if (capacity < rows)
            capacity = rows;
        uint8_t *grown = realloc(codes->owned, capacity * codes->stride);
        if (!grown)
            return VDB_ENOMEM;
        codes->owned = grown;
        codes->owned_capacity = capacity;
    }
    /* What is allocated here stays for the next try if a later step fails: nothing observable changed. */
    if (!codes->trained && !codes->owned_quantizer &&
        !(codes->owned_quantizer = malloc(sizeof(float) * vdb_codes_quantizer_floats(codes->kind, codes->dim))))
        return VDB_ENOMEM;
    if (codes->kind == VDB_CODES_PQ && !codes->pq_norms &&
        !(codes->pq_norms = malloc(sizeof(float) * VDB_PQ_CENTROIDS * codes->bytes)))
        return VDB_ENOMEM;
    return VDB_OK;
}

static int train(vdb_code_store *codes, const vdb_store *store, uint64_t seed, uint32_t threads)
{
    float *quantizer = codes->owned_quantizer;
    if (codes->kind == VDB_CODES_INT8) {
        vdb_int8_train(quantizer, codes->dim, store, VDB_INT8_TRAIN_SAMPLE);
    } else {
        int code = vdb_pq_train(quantizer, codes->dim, codes->bytes, store, VDB_PQ_TRAIN_SAMPLE, seed, threads);
        if (code != VDB_OK)
            return code;
    }
    codes->quantizer = quantizer;
    codes->trained = 1;
    return VDB_OK;
}

typedef struct {
    vdb_code_store *codes;
    const vdb_store *store;
    uint64_t first; /* the node of owned row 0 */
} coding;

/* Code nodes first + [begin, end): vdb_parallel_for counts from 0. */
static void code_rows(void *context, uint64_t begin, uint64_t end, uint32_t worker)
{
    (void)worker;
    const coding *c = context;
    const vdb_code_store *codes = c->codes;
    for (uint64_t node = c->first + begin; node < c->first + end; node++) {
        uint8_t *row = codes->owned + (node - codes->mapped_count) * codes->stride;
        const float *vector = vdb_store_get(c->store, (uint32_t)node);
        memset(row, 0, codes->stride);
        float norm2 = codes->kind == VDB_CODES_INT8
                          ? vdb_int8_encode(codes->quantizer, codes->dim, vector, row)
                          : vdb_pq_encode(codes->quantizer, codes->pq_norms, codes->dim, codes->bytes, vector, row);
        memcpy(row + codes->stride - sizeof norm2, &norm2, sizeof norm2);
    }
}

void vdb_codes_update(vdb_code_store *codes, const vdb_store *store, uint64_t seed, uint32_t threads)
{
    if (codes->kind == VDB_CODES_NONE)
        return;
    if (!codes->trained &&
        (vdb_store_count(store) < train_min(codes->kind) || train(codes, store, seed, threads) != VDB_OK))
        return;
    if (codes->kind == VDB_CODES_PQ && !codes->pq_norms_ready) {
        vdb_pq_centroid_norms(codes->quantizer, codes->dim, codes->bytes, codes->pq_norms);
        codes->pq_norms_ready = 1;
    }
    coding c = {codes, store, vdb_codes_count(codes)};
    uint64_t rows = vdb_store_count(store) - c.first;
    vdb_parallel_for(codes->kind == VDB_CODES_PQ ? threads : 1, rows, CODE_CHUNK, code_rows, &c);
    codes->owned_count += rows;
}

void vdb_codes_destroy(vdb_code_store *codes)
{
    free(codes->owned);
    free(codes->owned_quantizer);
    free(codes->pq_norms);
    *codes = (vdb_code_store){0};
}
