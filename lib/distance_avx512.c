/*
 * AVX-512F kernels: 16 floats a step, the tail done with a masked load so no
 * scalar loop is needed. Called only after CPU detection says AVX-512F exists.
 */
#include "distance.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __mmask16 tail_mask(uint32_t remaining) { return (__mmask16)((1u << remaining) - 1u); }

AVX512 float vdb_l2_avx512(const float *a, const float *b, uint32_t dim)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        acc0 = _mm512_fmadd_ps(d0, d0, acc0);
        acc1 = _mm512_fmadd_ps(d1, d1, acc1);
    }
    for (; i + 16 <= dim; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        acc0 = _mm512_fmadd_ps(d, d, acc0);
    }
    if (i < dim) {
        __mmask16 mask = tail_mask(dim - i);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i));
        acc1 = _mm512_fmadd_ps(d, d, acc1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

AVX512 static float dot_avx512(const float *a, const float *b, uint32_t dim)
{
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i + 16 <= dim; i += 16)
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    if (i < dim) {
        __mmask16 mask = tail_mask(dim - i);
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), acc1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

AVX512 float vdb_ip_avx512(const float *a, const float *b, uint32_t dim) { return 1.0f - dot_avx512(a, b, dim); }

AVX512 float vdb_cosine_avx512(const float *a, const float *b, uint32_t dim)
{
    __m512 dot = _mm512_setzero_ps(), norm_a = _mm512_setzero_ps(), norm_b = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i < dim; i += 16) {
        __mmask16 mask = dim - i >= 16 ? (__mmask16)0xFFFF : tail_mask(dim - i);
        __m512 va = _mm512_maskz_loadu_ps(mask, a + i), vb = _mm512_maskz_loadu_ps(mask, b + i);
        dot = _mm512_fmadd_ps(va, vb, dot);
        norm_a = _mm512_fmadd_ps(va, va, norm_a);
        norm_b = _mm512_fmadd_ps(vb, vb, norm_b);
    }
    return vdb_cosine_from_parts(_mm512_reduce_add_ps(dot), _mm512_reduce_add_ps(norm_a), _mm512_reduce_add_ps(norm_b));
}
#endif
