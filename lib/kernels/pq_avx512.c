/*
 * AVX-512F PQ kernels: the row update sixteen floats a step; the table sum
 * gathers sixteen entries a step, then adds the rest one by one.
 */
#include "kernels/pq.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

AVX512 void vdb_axpy256_avx512(float *y, float a, const float *x)
{
    __m512 scale = _mm512_set1_ps(a);
    for (int j = 0; j < VDB_PQ_CENTROIDS; j += 16)
        _mm512_storeu_ps(y + j, _mm512_fmadd_ps(scale, _mm512_loadu_ps(x + j), _mm512_loadu_ps(y + j)));
}

AVX512 float vdb_pq_sum_avx512(const float *table, const uint8_t *codes, uint32_t n)
{
    const __m512i step = _mm512_set1_epi32(16 * VDB_PQ_CENTROIDS);
    __m512i base = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                      _mm512_set1_epi32(VDB_PQ_CENTROIDS));
    __m512 sum = _mm512_setzero_ps();
    uint32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i offsets = _mm512_add_epi32(base, _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(codes + i))));
        sum = _mm512_add_ps(sum, _mm512_i32gather_ps(offsets, table, 4));
        base = _mm512_add_epi32(base, step);
    }
    float total = _mm512_reduce_add_ps(sum);
    for (; i < n; i++)
        total += table[VDB_PQ_CENTROIDS * i + codes[i]];
    return total;
}
#endif
