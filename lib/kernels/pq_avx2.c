/*
 * AVX2 PQ kernels: the row update eight floats a step; the table sum
 * gathers eight entries a step, the byte codes widened to offsets into the
 * table, then adds the rest one by one.
 */
#include "kernels/pq.h"

#if defined(__x86_64__)
#include "kernels/avx2_sum.h"

#include <immintrin.h>

AVX2 void vdb_axpy256_avx2(float *y, float a, const float *x)
{
    __m256 scale = _mm256_set1_ps(a);
    for (int j = 0; j < VDB_PQ_CENTROIDS; j += 8)
        _mm256_storeu_ps(y + j, _mm256_fmadd_ps(scale, _mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j)));
}

AVX2 float vdb_pq_sum_avx2(const float *table, const uint8_t *codes, uint32_t n)
{
    const __m256i step = _mm256_set1_epi32(8 * VDB_PQ_CENTROIDS);
    __m256i base = _mm256_setr_epi32(0, 256, 512, 768, 1024, 1280, 1536, 1792);
    __m256 sum = _mm256_setzero_ps();
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i offsets = _mm256_add_epi32(base, _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(codes + i))));
        sum = _mm256_add_ps(sum, _mm256_i32gather_ps(table, offsets, 4));
        base = _mm256_add_epi32(base, step);
    }
    float total = vdb_avx2_sum(sum);
    for (; i < n; i++)
        total += table[VDB_PQ_CENTROIDS * i + codes[i]];
    return total;
}
#endif
