/*
 * Distance kernels. Each metric has a scalar reference kernel and SIMD
 * kernels; vdb_distance_for() hands out the best one this CPU runs, chosen
 * once. Smaller distance is nearer for every metric.
 */
#ifndef VDB_DISTANCE_H
#define VDB_DISTANCE_H

#include <stdint.h>

typedef float (*vdb_distance_fn)(const float *a, const float *b, uint32_t dim);

typedef enum { VDB_KERNEL_SCALAR, VDB_KERNEL_AVX2, VDB_KERNEL_AVX512 } vdb_kernel_level;

/* The fastest kernel for metric on this CPU, or NULL for an unknown metric. */
vdb_distance_fn vdb_distance_for(int32_t metric);

/* The kernel for metric at a given level (for tests); NULL if the CPU lacks it. */
vdb_distance_fn vdb_distance_at(int32_t metric, vdb_kernel_level level);

/* The level vdb_distance_for() picks on this CPU. */
vdb_kernel_level vdb_distance_best_level(void);

float vdb_l2_scalar(const float *a, const float *b, uint32_t dim);
float vdb_ip_scalar(const float *a, const float *b, uint32_t dim);
float vdb_cosine_scalar(const float *a, const float *b, uint32_t dim);

#if defined(__x86_64__)
float vdb_l2_avx2(const float *a, const float *b, uint32_t dim);
float vdb_ip_avx2(const float *a, const float *b, uint32_t dim);
float vdb_cosine_avx2(const float *a, const float *b, uint32_t dim);
float vdb_l2_avx512(const float *a, const float *b, uint32_t dim);
float vdb_ip_avx512(const float *a, const float *b, uint32_t dim);
float vdb_cosine_avx512(const float *a, const float *b, uint32_t dim);
#endif

/* 1 - dot / (|a| |b|), with a zero vector at distance 1 from everything. */
static inline float vdb_cosine_from_parts(float dot, float norm_a2, float norm_b2)
{
    float denominator = norm_a2 * norm_b2;
    if (!(denominator > 0.0f))
        return 1.0f;
    return 1.0f - dot / __builtin_sqrtf(denominator);
}

#endif
