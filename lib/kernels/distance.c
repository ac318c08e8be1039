/*
 * Scalar reference kernels and the once-per-process choice of kernels.
 * The scalar kernels keep four partial sums so that the compiler may overlap
 * the additions without being allowed to reassociate floating point.
 */
#include "kernels/distance.h"

#include "vdb.h"

#include <pthread.h>

float vdb_l2_scalar(const float *a, const float *b, uint32_t dim)
{
    float sum[4] = {0, 0, 0, 0};
    uint32_t i = 0;
    for (; i + 4 <= dim; i += 4)
        for (int lane = 0; lane < 4; lane++) {
            float d = a[i + lane] - b[i + lane];
            sum[lane] += d * d;
        }
    for (; i < dim; i++) {
        float d = a[i] - b[i];
        sum[0] += d * d;
    }
    return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

static float dot_scalar(const float *a, const float *b, uint32_t dim)
{
    float sum[4] = {0, 0, 0, 0};
    uint32_t i = 0;
    for (; i + 4 <= dim; i += 4)
        for (int lane = 0; lane < 4; lane++)
            sum[lane] += a[i + lane] * b[i + lane];
    for (; i < dim; i++)
        sum[0] += a[i] * b[i];
    return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

float vdb_ip_scalar(const float *a, const float *b, uint32_t dim) { return 1.0f - dot_scalar(a, b, dim); }

float vdb_cosine_scalar(const float *a, const float *b, uint32_t dim)
{
    return vdb_cosine_from_parts(dot_scalar(a, b, dim), dot_scalar(a, a, dim), dot_scalar(b, b, dim));
}

/* The reference batch kernels: the single kernel four times, bit-identical by construction. */
void vdb_l2x4_scalar(const float *query, const float *const rows[4], uint32_t dim, float out[4])
{
    for (int row = 0; row < 4; row++)
        out[row] = vdb_l2_scalar(query, rows[row], dim);
}

void vdb_ipx4_scalar(const float *query, const float *const rows[4], uint32_t dim, float out[4])
{
    for (int row = 0; row < 4; row++)
        out[row] = vdb_ip_scalar(query, rows[row], dim);
}

static const vdb_distance_fn scalar_kernels[3] = {vdb_l2_scalar, vdb_ip_scalar, vdb_cosine_scalar};
#if defined(__x86_64__)
static const vdb_distance_fn avx2_kernels[3] = {vdb_l2_avx2, vdb_ip_avx2, vdb_cosine_avx2};
static const vdb_distance_fn avx512_kernels[3] = {vdb_l2_avx512, vdb_ip_avx512, vdb_cosine_avx512};
#endif
static const vdb_distance4_fn scalar_batch_kernels[3] = {vdb_l2x4_scalar, vdb_ipx4_scalar, NULL};
#if defined(__x86_64__)
static const vdb_distance4_fn avx2_batch_kernels[3] = {vdb_l2x4_avx2, vdb_ipx4_avx2, NULL};
static const vdb_distance4_fn avx512_batch_kernels[3] = {vdb_l2x4_avx512, vdb_ipx4_avx512, NULL};
#endif

static vdb_kernel_level best_level;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static void detect_cpu(void)
{
    best_level = VDB_KERNEL_SCALAR;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        best_level = VDB_KERNEL_AVX2;
    if (__builtin_cpu_supports("avx512f"))
        best_level = VDB_KERNEL_AVX512;
#endif
}

vdb_kernel_level vdb_distance_best_level(void)
{
    pthread_once(&detect_once, detect_cpu);
    return best_level;
}

vdb_distance_fn vdb_distance_at(int32_t metric, vdb_kernel_level level)
{
    if (metric < VDB_METRIC_L2 || metric > VDB_METRIC_COSINE || level > vdb_distance_best_level())
        return NULL;
    switch (level) {
#if defined(__x86_64__)
    case VDB_KERNEL_AVX512: return avx512_kernels[metric];
    case VDB_KERNEL_AVX2: return avx2_kernels[metric];
#endif
    default: return scalar_kernels[metric];
    }
}

vdb_distance_fn vdb_distance_for(int32_t metric) { return vdb_distance_at(metric, vdb_distance_best_level()); }

vdb_distance4_fn vdb_distance4_at(int32_t metric, vdb_kernel_level level)
{
    if (metric < VDB_METRIC_L2 || metric > VDB_METRIC_COSINE || level > vdb_distance_best_level())
        return NULL;
    switch (level) {
#if defined(__x86_64__)
    case VDB_KERNEL_AVX512: return avx512_batch_kernels[metric];
    case VDB_KERNEL_AVX2: return avx2_batch_kernels[metric];
#endif
    default: return scalar_batch_kernels[metric];
    }
}

vdb_distance4_fn vdb_distance4_for(int32_t metric) { return vdb_distance4_at(metric, vdb_distance_best_level()); }
