/* The scalar reference for the PQ kernels, and their choice by CPU level (kernels/distance.c detects it). */
#include "kernels/pq.h"

#include <stddef.h>

void vdb_axpy256_scalar(float *y, float a, const float *x)
{
    for (int j = 0; j < VDB_PQ_CENTROIDS; j++)
        y[j] += a * x[j];
}

float vdb_pq_sum_scalar(const float *table, const uint8_t *codes, uint32_t n)
{
    float sum[4] = {0, 0, 0, 0};
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int lane = 0; lane < 4; lane++)
            sum[lane] += table[VDB_PQ_CENTROIDS * (i + lane) + codes[i + lane]];
    for (; i < n; i++)
        sum[0] += table[VDB_PQ_CENTROIDS * i + codes[i]];
    return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

vdb_axpy256_fn vdb_axpy256_at(vdb_kernel_level level)
{
    if (level > vdb_distance_best_level())
        return NULL;
    switch (level) {
#if defined(__x86_64__)
    case VDB_KERNEL_AVX512: return vdb_axpy256_avx512;
    case VDB_KERNEL_AVX2: return vdb_axpy256_avx2;
#endif
    default: return vdb_axpy256_scalar;
    }
}

vdb_pq_sum_fn vdb_pq_sum_at(vdb_kernel_level level)
{
    if (level > vdb_distance_best_level())
        return NULL;
    switch (level) {
#if defined(__x86_64__)
    case VDB_KERNEL_AVX512: return vdb_pq_sum_avx512;
    case VDB_KERNEL_AVX2: return vdb_pq_sum_avx2;
#endif
    default: return vdb_pq_sum_scalar;
    }
}

vdb_axpy256_fn vdb_axpy256_for(void) { return vdb_axpy256_at(vdb_distance_best_level()); }
vdb_pq_sum_fn vdb_pq_sum_for(void) { return vdb_pq_sum_at(vdb_distance_best_level()); }
