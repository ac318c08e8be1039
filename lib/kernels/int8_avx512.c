/*
 * AVX-512F int8 kernels: 32 codes a step, widened to floats sixteen at a
 * time, into two sums. The four-row kernel adds the same blocks in the same
 * order per row, so it matches the single one bit for bit.
 */
#include "kernels/int8.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/* Sixteen codes as floats. */
AVX512 static inline __m512 widen(const uint8_t *codes)
{
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)codes)));
}

AVX512 static inline __attribute__((always_inline)) float tail(float sum, const float *w, const uint8_t *c, uint32_t i,
                                                               uint32_t dim)
{
    for (; i < dim; i++)
        sum += w[i] * (float)c[i];
    return sum;
}

AVX512 float vdb_dot_u8_avx512(const float *weights, const uint8_t *codes, uint32_t dim)
{
    __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        a = _mm512_fmadd_ps(_mm512_loadu_ps(weights + i), widen(codes + i), a);
        b = _mm512_fmadd_ps(_mm512_loadu_ps(weights + i + 16), widen(codes + i + 16), b);
    }
    if (i + 16 <= dim) {
        a = _mm512_fmadd_ps(_mm512_loadu_ps(weights + i), widen(codes + i), a);
        i += 16;
    }
    return tail(_mm512_reduce_add_ps(_mm512_add_ps(a, b)), weights, codes, i, dim);
}

AVX512 void vdb_dot_u8x4_avx512(const float *weights, const uint8_t *const rows[4], uint32_t dim, float out[4])
{
    __m512 a[4], b[4];
    for (int r = 0; r < 4; r++)
        a[r] = b[r] = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 32 <= dim; i += 32) {
        __m512 w0 = _mm512_loadu_ps(weights + i), w1 = _mm512_loadu_ps(weights + i + 16);
        for (int r = 0; r < 4; r++) {
            a[r] = _mm512_fmadd_ps(w0, widen(rows[r] + i), a[r]);
            b[r] = _mm512_fmadd_ps(w1, widen(rows[r] + i + 16), b[r]);
        }
    }
    if (i + 16 <= dim) {
        __m512 w0 = _mm512_loadu_ps(weights + i);
        for (int r = 0; r < 4; r++)
            a[r] = _mm512_fmadd_ps(w0, widen(rows[r] + i), a[r]);
        i += 16;
    }
    for (int r = 0; r < 4; r++)
        out[r] = tail(_mm512_reduce_add_ps(_mm512_add_ps(a[r], b[r])), weights, rows[r], i, dim);
}
#endif
