/*
 * AVX2 + FMA kernels: 8 floats a step with two accumulators to hide FMA
 * latency. Compiled for those instructions only here; called only after
 * CPU detection says they exist.
 */
#include "kernels/distance.h"
#include "kernels/avx2_sum.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* One step of a sum: acc + (q - r)^2 for L2, acc + q * r for a dot product. */
AVX2 static inline __attribute__((always_inline)) __m256 step(__m256 acc, __m256 q, __m256 r, int l2)
{
    if (!l2)
        return _mm256_fmadd_ps(q, r, acc);
    __m256 d = _mm256_sub_ps(q, r);
    return _mm256_fmadd_ps(d, d, acc);
}

/* The scalar tail of one row, as the single kernels add it. */
AVX2 static inline __attribute__((always_inline)) float tail(float sum, const float *q, const float *r, uint32_t i,
                                                             uint32_t dim, int l2)
{
    for (; i < dim; i++) {
        float d = q[i] - r[i];
        sum += l2 ? d * d : q[i] * r[i];
    }
    return sum;
}

AVX2 float vdb_l2_avx2(const float *a, const float *b, uint32_t dim)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    for (; i + 8 <= dim; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        acc0 = _mm256_fmadd_ps(d, d, acc0);
    }
    return tail(vdb_avx2_sum(_mm256_add_ps(acc0, acc1)), a, b, i, dim, 1);
}

AVX2 static float dot_avx2(const float *a, const float *b, uint32_t dim)
{
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    }
    for (; i + 8 <= dim; i += 8)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    return tail(vdb_avx2_sum(_mm256_add_ps(acc0, acc1)), a, b, i, dim, 0);
}

AVX2 float vdb_ip_avx2(const float *a, const float *b, uint32_t dim) { return 1.0f - dot_avx2(a, b, dim); }

AVX2 float vdb_cosine_avx2(const float *a, const float *b, uint32_t dim)
{
    __m256 dot = _mm256_setzero_ps(), norm_a = _mm256_setzero_ps(), norm_b = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 8 <= dim; i += 8) {
        __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
        dot = _mm256_fmadd_ps(va, vb, dot);
        norm_a = _mm256_fmadd_ps(va, va, norm_a);
        norm_b = _mm256_fmadd_ps(vb, vb, norm_b);
    }
    float d = vdb_avx2_sum(dot), na = vdb_avx2_sum(norm_a), nb = vdb_avx2_sum(norm_b);
    for (; i < dim; i++) {
        d += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    return vdb_cosine_from_parts(d, na, nb);
}

/*
 * Four rows against one query. Each row keeps the single kernels' two sums
 * and adds the same blocks to each in the same order, so its result is
 * bit-identical to theirs.
 */
AVX2 static inline __attribute__((always_inline)) void batch4(const float *q, const float *const rows[4], uint32_t dim,
                                                              float out[4], int l2)
{
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0; /* even blocks of 8 */
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;                  /* odd blocks */
    uint32_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        __m256 q0 = _mm256_loadu_ps(q + i), q1 = _mm256_loadu_ps(q + i + 8);
        a0 = step(a0, q0, _mm256_loadu_ps(r0 + i), l2);
        a1 = step(a1, q0, _mm256_loadu_ps(r1 + i), l2);
        a2 = step(a2, q0, _mm256_loadu_ps(r2 + i), l2);
        a3 = step(a3, q0, _mm256_loadu_ps(r3 + i), l2);
        b0 = step(b0, q1, _mm256_loadu_ps(r0 + i + 8), l2);
        b1 = step(b1, q1, _mm256_loadu_ps(r1 + i + 8), l2);
        b2 = step(b2, q1, _mm256_loadu_ps(r2 + i + 8), l2);
        b3 = step(b3, q1, _mm256_loadu_ps(r3 + i + 8), l2);
    }
    for (; i + 8 <= dim; i += 8) {
        __m256 q0 = _mm256_loadu_ps(q + i);
        a0 = step(a0, q0, _mm256_loadu_ps(r0 + i), l2);
        a1 = step(a1, q0, _mm256_loadu_ps(r1 + i), l2);
        a2 = step(a2, q0, _mm256_loadu_ps(r2 + i), l2);
        a3 = step(a3, q0, _mm256_loadu_ps(r3 + i), l2);
    }
    out[0] = tail(vdb_avx2_sum(_mm256_add_ps(a0, b0)), q, r0, i, dim, l2);
    out[1] = tail(vdb_avx2_sum(_mm256_add_ps(a1, b1)), q, r1, i, dim, l2);
    out[2] = tail(vdb_avx2_sum(_mm256_add_ps(a2, b2)), q, r2, i, dim, l2);
    out[3] = tail(vdb_avx2_sum(_mm256_add_ps(a3, b3)), q, r3, i, dim, l2);
}

AVX2 void vdb_l2x4_avx2(const float *query, const float *const rows[4], uint32_t dim, float out[4])
{
    batch4(query, rows, dim, out, 1);
}

AVX2 void vdb_ipx4_avx2(const float *query, const float *const rows[4], uint32_t dim, float out[4])
{
    batch4(query, rows, dim, out, 0);
    for (int row = 0; row < 4; row++)
        out[row] = 1.0f - out[row];
}
#endif
