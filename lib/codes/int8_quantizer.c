/*
 * int8 training and coding. Training reads a bounded sample whatever the
 * index's size, and gives the same quantizer for the same rows.
 */
#include "codes/int8_quantizer.h"

#include <math.h>
#include <string.h>

enum { STEPS = 255 };

void vdb_int8_train(float *quantizer, uint32_t dim, const vdb_store *store, uint64_t samples)
{
    float *offset = quantizer, *step = quantizer + dim, *high = step; /* high becomes step at the end */
    uint64_t nodes = vdb_store_count(store);
    if (samples > nodes)
        samples = nodes;
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
}

float vdb_int8_encode(const float *quantizer, uint32_t dim, const float *vector, uint8_t *codes)
{
    const float *offset = quantizer, *step = quantizer + dim;
    float norm2 = 0.0f;
    for (uint32_t d = 0; d < dim; d++) {
        float place = step[d] > 0.0f ? (vector[d] - offset[d]) / step[d] : 0.0f;
        uint8_t code = place <= 0.0f ? 0 : place >= STEPS ? STEPS : (uint8_t)lrintf(place);
        float value = offset[d] + step[d] * code;
        codes[d] = code;
        norm2 += value * value;
    }
    return norm2;
}

float vdb_int8_prepare(const float *quantizer, uint32_t dim, const float *query, float *weights)
{
    const float *offset = quantizer, *step = quantizer + dim;
    float base = 0.0f;
    for (uint32_t d = 0; d < dim; d++) {
        weights[d] = query[d] * step[d];
        base += query[d] * offset[d];
    }
    return base;
}

uint32_t vdb_int8_first_bad(const float *quantizer, uint32_t dim)
{
    const float *offset = quantizer, *step = quantizer + dim;
    for (uint32_t d = 0; d < dim; d++)
        if (!isfinite(offset[d]) || !isfinite(step[d]) || step[d] < 0.0f)
            return d;
    return dim;
}
