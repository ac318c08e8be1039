/*
 * AVX-512F kernels: 16 floats a step, the tail done with a masked load so no
 * scalar loop is needed. Called only after CPU detection says AVX-512F exists.
 */
#include "kernels/distance.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __mmask16 tail_mask(uint32_t remaining) { return (__mmask16)((1u << remaining) - 1u); }

/* One step of a sum: acc + (q - r)^2 for L2, acc + q * r for a dot product. */
AVX512 static inline __attribute__((always_inline)) __m512 step(__m512 acc, __m512 q, __m512 r, int l2)
{
    if (!l2)
        return _mm512_fmadd_ps(q, r, acc);
    __m512 d = _mm512_sub_ps(q, r);
    return _mm512_fmadd_ps(d, d, acc);
}

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

/*
 * Four rows against one query. Each row keeps the single kernels' two sums
 * and adds the same blocks to each in the same order, so its result is
 * bit-identical to theirs.
 */
AVX512 static inline __attribute__((always_inline)) void batch4(const float *q, const float *const rows[4],
                                                                uint32_t dim, float out[4], int l2)
{
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0; /* even blocks of 16 */
    __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;                  /* odd blocks, and the tail */
    uint32_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        __m512 q0 = _mm512_loadu_ps(q + i), q1 = _mm512_loadu_ps(q + i + 16);
        a0 = step(a0, q0, _mm512_loadu_ps(r0 + i), l2);
        a1 = step(a1, q0, _mm512_loadu_ps(r1 + i), l2);
        a2 = step(a2, q0, _mm512_loadu_ps(r2 + i), l2);
        a3 = step(a3, q0, _mm512_loadu_ps(r3 + i), l2);
        b0 = step(b0, q1, _mm512_loadu_ps(r0 + i + 16), l2);
        b1 = step(b1, q1, _mm512_loadu_ps(r1 + i + 16), l2);
        b2 = step(b2, q1, _mm512_loadu_ps(r2 + i + 16), l2);
        b3 = step(b3, q1, _mm512_loadu_ps(r3 + i + 16), l2);
    }
    for (; i + 16 <= dim; i += 16) {
        __m512 q0 = _mm512_loadu_ps(q + i);
        a0 = step(a0, q0, _mm512_loadu_ps(r0 + i), l2);
        a1 = step(a1, q0, _mm512_loadu_ps(r1 + i), l2);
        a2 = step(a2, q0, _mm512_loadu_ps(r2 + i), l2);
        a3 = step(a3, q0, _mm512_loadu_ps(r3 + i), l2);
    }
    if (i < dim) {
        __mmask16 mask = tail_mask(dim - i);
        __m512 q0 = _mm512_maskz_loadu_ps(mask, q + i);
        b0 = step(b0, q0, _mm512_maskz_loadu_ps(mask, r0 + i), l2);
        b1 = step(b1, q0, _mm512_maskz_loadu_ps(mask, r1 + i), l2);
        b2 = step(b2, q0, _mm512_maskz_loadu_ps(mask, r2 + i), l2);
        b3 = step(b3, q0, _mm512_maskz_loadu_ps(mask, r3 + i), l2);
    }
    out[0] = _mm512_reduce_add_ps(_mm512_add_ps(a0, b0));
    out[1] = _mm512_reduce_add_ps(_mm512_add_ps(a1, b1));
    out[2] = _mm512_reduce_add_ps(_mm512_add_ps(a2, b2));
    out[3] = _mm512_reduce_add_ps(_mm512_add_ps(a3, b3));
}

AVX512 void vdb_l2x4_avx512(const float *query, const float *const rows[4], uint32_t dim, float out[4])
{
    batch4(query, rows, dim, out, 1);
}

AVX512 void vdb_ipx4_avx512(const float *query, const float *const rows[4], uint32_t dim, float out[4])
{
    batch4(query, rows, dim, out, 0);
    for (int row = 0; row < 4; row++)
        out[row] = 1.0f - out[row];
}
#endif
