/*
 * Training, coding and storage of int8 codes. Each dimension's range is
 * taken from up to VDB_CODES_TRAIN_SAMPLE rows spread evenly over the store
 * (every row when there are fewer), so training reads a bounded amount
 * whatever the index's size, and gives the same quantizer for the same rows.
 */
#include "codes/codes.h"

#include "vdb.h"

#include <math.h>
#include <stdlib.h>

enum { STEPS = 255 };

void vdb_codes_init(vdb_code_store *codes, int32_t kind, uint32_t dim)
{
    *codes = (vdb_code_store){.kind = kind, .dim = dim, .stride = vdb_codes_stride(dim)};
    if (kind != VDB_CODES_NONE) {
        codes->dot = vdb_dot_u8_for();
        codes->dot4 = vdb_dot_u8x4_for();
    }
}

void vdb_codes_init_mapped(vdb_code_store *codes, int32_t kind, uint32_t dim, const float *quantizer,
                           const uint8_t *rows, uint32_t count)
{
    vdb_codes_init(codes, kind, dim);
    codes->trained = 1;
    codes->quantizer = quantizer;
    codes->mapped = rows;
    codes->mapped_count = count;
}

int vdb_codes_reserve(vdb_code_store *codes, uint64_t nodes)
{
    if (codes->kind == VDB_CODES_NONE || (!codes->trained && nodes < VDB_CODES_TRAIN_MIN))
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
    if (!codes->trained && !codes->owned_quantizer &&
        !(codes->owned_quantizer = malloc(2 * sizeof(float) * codes->dim)))
        return VDB_ENOMEM; /* the rows' room is kept for the next try: nothing observable changed */
    return VDB_OK;
}

/* Each dimension's smallest value and its step to the largest, from rows spread over the store. */
static void train(vdb_code_store *codes, const vdb_store *store)
{
    uint32_t dim = codes->dim;
    float *offset = codes->owned_quantizer, *step = offset + dim, *high = step; /* high becomes step at the end */
    uint64_t nodes = vdb_store_count(store), samples = nodes < VDB_CODES_TRAIN_SAMPLE ? nodes : VDB_CODES_TRAIN_SAMPLE;
    const float *first = vdb_store_get(store, 0);
    memcpy(offset, first, sizeof(float) * dim);
    memcpy(high, first, sizeof(float) * dim);
    for (uint64_t s = 1; s < samples; s++) {
        const float *row = vdb_store_get(store, (uint32_t)(s * nodes / samples));
        for (uint32_t d = 0; d < dim; d++) {
            offset[d] = row[d] < offset[d] ? row[d] : offset[d];
            high[d] = row[d] > high[d] ? row[d] : high[d];
        }
    }
    for (uint32_t d = 0; d < dim; d++) {
        step[d] = (high[d] - offset[d]) / STEPS;
        if (!isfinite(step[d])) /* a range past FLT_MAX: the dimension is coded as its offset */
            step[d] = 0.0f;
    }
    codes->quantizer = offset;
    codes->trained = 1;
}

static void encode(const vdb_code_store *codes, const float *vector, uint8_t *row)
{
    const float *offset = codes->quantizer, *step = offset + codes->dim;
    float norm2 = 0.0f;
    memset(row, 0, codes->stride);
    for (uint32_t d = 0; d < codes->dim; d++) {
        float place = step[d] > 0.0f ? (vector[d] - offset[d]) / step[d] : 0.0f;
        uint8_t code = place <= 0.0f ? 0 : place >= STEPS ? STEPS : (uint8_t)lrintf(place);
        float value = offset[d] + step[d] * code;
        row[d] = code;
        norm2 += value * value;
    }
    memcpy(row + codes->stride - sizeof norm2, &norm2, sizeof norm2);
}

void vdb_codes_update(vdb_code_store *codes, const vdb_store *store)
{
    if (codes->kind == VDB_CODES_NONE)
        return;
    if (!codes->trained) {
        if (vdb_store_count(store) < VDB_CODES_TRAIN_MIN)
            return;
        train(codes, store);
    }
    for (uint64_t node = vdb_codes_count(codes); node < vdb_store_count(store); node++) {
        encode(codes, vdb_store_get(store, (uint32_t)node), codes->owned + codes->owned_count * codes->stride);
        codes->owned_count++;
    }
}

void vdb_codes_destroy(vdb_code_store *codes)
{
    free(codes->owned);
    free(codes->owned_quantizer);
    *codes = (vdb_code_store){0};
}
