/*
 * Product quantization: the dimensions are cut into `bytes` subspaces of
 * nearly equal width (the first dim % bytes are one wider), each with 256
 * centroids found by k-means on a sample of rows; a vector's code is its
 * nearest centroid's number in each subspace, a byte each.
 *
 * The codebooks are 256 * dim floats. Subspace i, of width w starting at
 * dimension s, owns floats [256 * s, 256 * (s + w)), dimension by dimension:
 * float 256 * (s + d) + j is centroid j's value in dimension s + d. Laid out
 * so, a query's dot products with all 256 centroids of a subspace are w
 * updates of one row of 256 floats (kernels/pq.h), as are a vector's
 * distances to them while coding.
 */
#ifndef VDB_PQ_QUANTIZER_H
#define VDB_PQ_QUANTIZER_H

#include "kernels/pq.h"
#include "vectors/store.h"

#include <stdint.h>

static inline uint64_t vdb_pq_quantizer_floats(uint32_t dim) { return (uint64_t)VDB_PQ_CENTROIDS * dim; }

/* The first dimension of subspace i and its width. */
static inline void vdb_pq_subspace(uint32_t dim, uint32_t bytes, uint32_t i, uint32_t *start, uint32_t *width)
{
    uint32_t narrow = dim / bytes, wide = dim % bytes;
    *start = i * narrow + (i < wide ? i : wide);
    *width = narrow + (i < wide ? 1 : 0);
}

/*
 * k-means in every subspace over up to `samples` rows spread evenly over
 * the store (at least VDB_PQ_CENTROIDS of them), from centroids drawn with
 * `seed`, on `threads` workers; the result depends on neither the thread
 * count nor timing. VDB_OK, or VDB_ENOMEM and the codebooks are unusable.
 */
int vdb_pq_train(float *codebooks, uint32_t dim, uint32_t bytes, const vdb_store *store, uint64_t samples,
                 uint64_t seed, uint32_t threads);

/* Every centroid's squared norm per subspace: norms[256 * i + j]. */
void vdb_pq_centroid_norms(const float *codebooks, uint32_t dim, uint32_t bytes, float *norms);

/* Code vector into `bytes` bytes; returns the squared norm of the vector they stand for. */
float vdb_pq_encode(const float *codebooks, const float *norms, uint32_t dim, uint32_t bytes, const float *vector,
                    uint8_t *codes);

/* table[256 * i + j] = dot(query's subspace i, centroid j of it): bytes * 256 floats. */
void vdb_pq_prepare(const float *codebooks, uint32_t dim, uint32_t bytes, const float *query, float *table);

/* 1 when every codebook value is finite. */
int vdb_pq_codebooks_finite(const float *codebooks, uint32_t dim);

#endif
