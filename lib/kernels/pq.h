/*
 * The two loops product quantization spends its time in (codes/pq_quantizer.h):
 *  - adding a multiple of one row of 256 floats to another (a codebook is
 *    stored dimension by dimension, so a query's table and a vector's
 *    distances to 256 centroids are sums of such rows);
 *  - summing one table entry per code byte, the distance to a coded vector.
 * A scalar reference, AVX2 and AVX-512 kernels, chosen once by CPU level.
 */
#ifndef VDB_KERNELS_PQ_H
#define VDB_KERNELS_PQ_H

#include "kernels/distance.h"

#include <stdint.h>

enum { VDB_PQ_CENTROIDS = 256 };

/* y[j] += a * x[j] for j < 256. */
typedef void (*vdb_axpy256_fn)(float *y, float a, const float *x);
/* sum over i < n of table[256 * i + codes[i]]. */
typedef float (*vdb_pq_sum_fn)(const float *table, const uint8_t *codes, uint32_t n);

vdb_axpy256_fn vdb_axpy256_at(vdb_kernel_level level);
vdb_pq_sum_fn vdb_pq_sum_at(vdb_kernel_level level);
vdb_axpy256_fn vdb_axpy256_for(void);
vdb_pq_sum_fn vdb_pq_sum_for(void);

void vdb_axpy256_scalar(float *y, float a, const float *x);
float vdb_pq_sum_scalar(const float *table, const uint8_t *codes, uint32_t n);
#if defined(__x86_64__)
void vdb_axpy256_avx2(float *y, float a, const float *x);
float vdb_pq_sum_avx2(const float *table, const uint8_t *codes, uint32_t n);
void vdb_axpy256_avx512(float *y, float a, const float *x);
float vdb_pq_sum_avx512(const float *table, const uint8_t *codes, uint32_t n);
#endif

#endif
