/*
 * AVX2 + FMA int8 kernels: 16 codes a step, widened to floats eight at a
 * time, into two sums as the float kernels keep. The four-row kernel adds
 * the same blocks in the same order per row, so it matches the single one
 * bit for bit.
 */
#include "kernels/int8.h"
#include "kernels/avx2_sum.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* Eight codes from `bytes`' low half as floats. */
AVX2 static inline __m256 widen(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)); }

AVX2 static inline __attribute__((always_inline)) float tail(float sum, const float *w, const uint8_t *c, uint32_t i,
                                                             uint32_t dim)
{
    for (; i < dim; i++)
        sum += w[i] * (float)c[i];
    return sum;
}

/* One row's sums over its whole blocks: even blocks of 8 into *a, odd ones into *b. */
AVX2 static inline __attribute__((always_inline)) uint32_t blocks(const float *w, const uint8_t *c, uint32_t dim,
                                                                  __m256 *a, __m256 *b)
{
    uint32_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(c + i));
        *a = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), widen(bytes), *a);
        *b = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), widen(_mm_srli_si128(bytes, 8)), *b);
    }
    if (i + 8 <= dim) {
        *a = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), widen(_mm_loadl_epi64((const __m128i *)(c + i))), *a);
        i += 8;
    }
    return i;
}

AVX2 float vdb_dot_u8_avx2(const float *weights, const uint8_t *codes, uint32_t dim)
{
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    uint32_t i = blocks(weights, codes, dim, &a, &b);
    return tail(vdb_avx2_sum(_mm256_add_ps(a, b)), weights, codes, i, dim);
}

/* The rows interleaved block by block, so that their loads are in flight together. */
AVX2 void vdb_dot_u8x4_avx2(const float *weights, const uint8_t *const rows[4], uint32_t dim, float out[4])
{
    __m256 a[4], b[4];
    for (int r = 0; r < 4; r++)
        a[r] = b[r] = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        __m256 w0 = _mm256_loadu_ps(weights + i), w1 = _mm256_loadu_ps(weights + i + 8);
        for (int r = 0; r < 4; r++) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(rows[r] + i));
            a[r] = _mm256_fmadd_ps(w0, widen(bytes), a[r]);
            b[r] = _mm256_fmadd_ps(w1, widen(_mm_srli_si128(bytes, 8)), b[r]);
        }
    }
    if (i + 8 <= dim) {
        __m256 w0 = _mm256_loadu_ps(weights + i);
        for (int r = 0; r < 4; r++)
            a[r] = _mm256_fmadd_ps(w0, widen(_mm_loadl_epi64((const __m128i *)(rows[r] + i))), a[r]);
        i += 8;
    }
    for (int r = 0; r < 4; r++)
        out[r] = tail(vdb_avx2_sum(_mm256_add_ps(a[r], b[r])), weights, rows[r], i, dim);
}
#endif
