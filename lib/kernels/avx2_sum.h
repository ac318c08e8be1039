/*
 * What the AVX2 kernel files share: the target attribute that compiles a
 * function for AVX2 + FMA alone, and the sum of a register's eight floats in
 * one fixed order (the order is part of every kernel's result).
 */
#ifndef VDB_KERNELS_AVX2_SUM_H
#define VDB_KERNELS_AVX2_SUM_H

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float vdb_avx2_sum(__m256 v)
{
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}
#endif

#endif
