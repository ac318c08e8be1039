/*
 * int8 scalar quantization: each dimension's range over a sample of rows,
 * cut in 255 steps. The quantizer is 2 * dim floats: every dimension's
 * offset, then every dimension's step; byte c of dimension d stands for
 * offset[d] + step[d] * c.
 */
#ifndef VDB_INT8_QUANTIZER_H
#define VDB_INT8_QUANTIZER_H

#include "vectors/store.h"

#include <stdint.h>

static inline uint64_t vdb_int8_quantizer_floats(uint32_t dim) { return 2 * (uint64_t)dim; }

/* The ranges of up to `samples` rows spread evenly over the store (which has at least one). */
void vdb_int8_train(float *quantizer, uint32_t dim, const vdb_store *store, uint64_t samples);

/* Code vector into dim bytes; returns the squared norm of the vector the bytes stand for. */
float vdb_int8_encode(const float *quantizer, uint32_t dim, const float *vector, uint8_t *codes);

/* weights[d] = query[d] * step[d]; returns dot(query, offsets), the part of every dot product that is the same. */
float vdb_int8_prepare(const float *quantizer, uint32_t dim, const float *query, float *weights);

/* The first dimension whose offset is not finite or whose step is not finite and >= 0, or dim if none. */
uint32_t vdb_int8_first_bad(const float *quantizer, uint32_t dim);

#endif
