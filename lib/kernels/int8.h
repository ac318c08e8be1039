/*
 * Dot products of a float32 vector with rows of one-byte codes, the inner
 * loop of every distance to an int8-coded vector (codes/int8.h). Like the
 * float kernels: a scalar reference, AVX2 and AVX-512 kernels, the best one
 * this CPU runs chosen once, and a four-row kernel whose every result is
 * bit-identical to the single kernel's at the same level.
 */
#ifndef VDB_KERNELS_INT8_H
#define VDB_KERNELS_INT8_H

#include "kernels/distance.h"

#include <stdint.h>

typedef float (*vdb_dot_u8_fn)(const float *weights, const uint8_t *codes, uint32_t dim);
typedef void (*vdb_dot_u8x4_fn)(const float *weights, const uint8_t *const rows[4], uint32_t dim, float out[4]);

/* The kernels at a level (NULL if this CPU lacks it), and the best this CPU runs. */
vdb_dot_u8_fn vdb_dot_u8_at(vdb_kernel_level level);
vdb_dot_u8x4_fn vdb_dot_u8x4_at(vdb_kernel_level level);
vdb_dot_u8_fn vdb_dot_u8_for(void);
vdb_dot_u8x4_fn vdb_dot_u8x4_for(void);

float vdb_dot_u8_scalar(const float *weights, const uint8_t *codes, uint32_t dim);
void vdb_dot_u8x4_scalar(const float *weights, const uint8_t *const rows[4], uint32_t dim, float out[4]);
#if defined(__x86_64__)
float vdb_dot_u8_avx2(const float *weights, const uint8_t *codes, uint32_t dim);
void vdb_dot_u8x4_avx2(const float *weights, const uint8_t *const rows[4], uint32_t dim, float out[4]);
float vdb_dot_u8_avx512(const float *weights, const uint8_t *codes, uint32_t dim);
void vdb_dot_u8x4_avx512(const float *weights, const uint8_t *const rows[4], uint32_t dim, float out[4]);
#endif

#endif
