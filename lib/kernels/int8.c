/*
 * The scalar reference for the int8 kernels, and their choice by CPU level
 * (the float kernels' detection, kernels/distance.c).
 */
#include "kernels/int8.h"

#include <stddef.h>

float vdb_dot_u8_scalar(const float *weights, const uint8_t *codes, uint32_t dim)
{
    float sum[4] = {0, 0, 0, 0};
    uint32_t i = 0;
    for (; i + 4 <= dim; i += 4)
        for (int lane = 0; lane < 4; lane++)
            sum[lane] += weights[i + lane] * (float)codes[i + lane];
    for (; i < dim; i++)
        sum[0] += weights[i] * (float)codes[i];
    return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

void vdb_dot_u8x4_scalar(const float *weights, const uint8_t *const rows[4], uint32_t dim, float out[4])
{
    for (int row = 0; row < 4; row++)
        out[row] = vdb_dot_u8_scalar(weights, rows[row], dim);
}

vdb_dot_u8_fn vdb_dot_u8_at(vdb_kernel_level level)
{
    if (level > vdb_distance_best_level())
        return NULL;
    switch (level) {
#if defined(__x86_64__)
    case VDB_KERNEL_AVX512: return vdb_dot_u8_avx512;
    case VDB_KERNEL_AVX2: return vdb_dot_u8_avx2;
#endif
    default: return vdb_dot_u8_scalar;
    }
}

vdb_dot_u8x4_fn vdb_dot_u8x4_at(vdb_kernel_level level)
{
    if (level > vdb_distance_best_level())
        return NULL;
    switch (level) {
#if defined(__x86_64__)
    case VDB_KERNEL_AVX512: return vdb_dot_u8x4_avx512;
    case VDB_KERNEL_AVX2: return vdb_dot_u8x4_avx2;
#endif
    default: return vdb_dot_u8x4_scalar;
    }
}

vdb_dot_u8_fn vdb_dot_u8_for(void) { return vdb_dot_u8_at(vdb_distance_best_level()); }
vdb_dot_u8x4_fn vdb_dot_u8x4_for(void) { return vdb_dot_u8x4_at(vdb_distance_best_level()); }
