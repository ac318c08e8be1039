/*
 * Distance kernels. Each metric has a scalar reference kernel and SIMD
 * kernels; vdb_distance_for() hands out the best one this CPU runs, chosen
 * once. Smaller distance is nearer for every metric.
 */
#ifndef VDB_DISTANCE_H
#define VDB_DISTANCE_H

#include <stdint.h>

typedef float (*vdb_distance_fn)(const float *a, const float *b, uint32_t dim);

/*
 * Distances from one query to four rows in one pass over the query: four
 * independent sums keep the FMA units busy and the four rows' loads in
 * flight together. Each result is bit-identical to the single kernel's at the
 * same level, so a distance never depends on which path computed it.
 */
typedef void (*vdb_distance4_fn)(const float *query, const float *const rows[4], uint32_t dim, float out[4]);

typedef enum { VDB_KERNEL_SCALAR, VDB_KERNEL_AVX2, VDB_KERNEL_AVX512 } vdb_kernel_level;

/* The fastest kernel for metric on this CPU, or NULL for an unknown metric. */
vdb_distance_fn vdb_distance_for(int32_t metric);

/* The kernel for metric at a given level (for tests); NULL if the CPU lacks it. */
vdb_distance_fn vdb_distance_at(int32_t metric, vdb_kernel_level level);

/* The batch kernels, as above; NULL for a metric without one (cosine). */
vdb_distance4_fn vdb_distance4_for(int32_t metric);
vdb_distance4_fn vdb_distance4_at(int32_t metric, vdb_kernel_level level);

/* The level vdb_distance_for() picks on this CPU. */
vdb_kernel_level vdb_distance_best_level(void);

float vdb_l2_scalar(const float *a, const float *b, uint32_t dim);
float vdb_ip_scalar(const float *a, const float *b, uint32_t dim);
float vdb_cosine_scalar(const float *a, const float *b, uint32_t dim);
void vdb_l2x4_scalar(const float *query, const float *const rows[4], uint32_t dim, float out[4]);
void vdb_ipx4_scalar(const float *query, const float *const rows[4], uint32_t dim, float out[4]);

#if defined(__x86_64__)
float vdb_l2_avx2(const float *a, const float *b, uint32_t dim);
float vdb_ip_avx2(const float *a, const float *b, uint32_t dim);
float vdb_cosine_avx2(const float *a, const float *b, uint32_t dim);
float vdb_l2_avx512(const float *a, const float *b, uint32_t dim);
float vdb_ip_avx512(const float *a, const float *b, uint32_t dim);
float vdb_cosine_avx512(const float *a, const float *b, uint32_t dim);
void vdb_l2x4_avx2(const float *query, const float *const rows[4], uint32_t dim, float out[4]);
void vdb_ipx4_avx2(const float *query, const float *const rows[4], uint32_t dim, float out[4]);
void vdb_l2x4_avx512(const float *query, const float *const rows[4], uint32_t dim, float out[4]);
void vdb_ipx4_avx512(const float *query, const float *const rows[4], uint32_t dim, float out[4]);
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
