/*
 * PQ training and coding. k-means runs in each subspace on its own, from
 * its own seed, so subspaces can be trained on any number of threads with
 * the same result. Distances to a subspace's 256 centroids are computed all
 * at once as |c|^2 - 2 x.c, the dot products being row updates over the
 * dimension-major codebook.
 */
#include "codes/pq_quantizer.h"

#include "util/parallel.h"
#include "util/random.h"
#include "vdb.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { ITERATIONS = 16 };

/* The centroid nearest to `point` (width floats) among a subspace's, given their squared norms. */
static uint32_t nearest(const float *block, const float *norms, uint32_t width, const float *point, vdb_axpy256_fn axpy)
{
    float dots[VDB_PQ_CENTROIDS] = {0};
    for (uint32_t d = 0; d < width; d++)
        axpy(dots, point[d], block + (uint64_t)VDB_PQ_CENTROIDS * d);
    uint32_t best = 0;
    float best_distance = INFINITY;
    for (uint32_t j = 0; j < VDB_PQ_CENTROIDS; j++) {
        float distance = norms[j] - 2.0f * dots[j]; /* |x - c|^2 less |x|^2, the same for every c */
        if (distance < best_distance) {
            best_distance = distance;
            best = j;
        }
    }
    return best;
}

static void block_norms(const float *block, uint32_t width, float *norms)
{
    memset(norms, 0, sizeof(float) * VDB_PQ_CENTROIDS);
    for (uint32_t d = 0; d < width; d++)
        for (uint32_t j = 0; j < VDB_PQ_CENTROIDS; j++) {
            float value = block[(uint64_t)VDB_PQ_CENTROIDS * d + j];
            norms[j] += value * value;
        }
}

typedef struct {
    float *codebooks;
    uint32_t dim, bytes;
    const vdb_store *store;
    uint64_t samples, seed;
    atomic_int failed;
} training;

/* k-means in one subspace: points n x width, row-major; the block dimension-major. */
static void kmeans(float *block, const float *points, uint64_t n, uint32_t width, uint64_t seed, uint32_t *assigned,
                   double *sums, uint32_t *counts)
{
    vdb_axpy256_fn axpy = vdb_axpy256_for();
    uint64_t state = seed;
    /* Start from 256 distinct points (n >= 256): a partial shuffle of their numbers, kept in `assigned`. */
    for (uint64_t i = 0; i < n; i++)
        assigned[i] = (uint32_t)i;
    for (uint32_t j = 0; j < VDB_PQ_CENTROIDS; j++) {
        uint64_t pick = j + vdb_next_random(&state) % (n - j);
        uint32_t chosen = assigned[pick];
        assigned[pick] = assigned[j];
        assigned[j] = chosen;
        for (uint32_t d = 0; d < width; d++)
            block[(uint64_t)VDB_PQ_CENTROIDS * d + j] = points[(uint64_t)chosen * width + d];
    }
    float norms[VDB_PQ_CENTROIDS];
    for (int iteration = 0; iteration < ITERATIONS; iteration++) {
        block_norms(block, width, norms);
        for (uint64_t i = 0; i < n; i++)
            assigned[i] = nearest(block, norms, width, points + i * width, axpy);
        memset(sums, 0, sizeof(double) * VDB_PQ_CENTROIDS * width);
        memset(counts, 0, sizeof(uint32_t) * VDB_PQ_CENTROIDS);
        for (uint64_t i = 0; i < n; i++) {
            counts[assigned[i]]++;
            for (uint32_t d = 0; d < width; d++)
                sums[(uint64_t)assigned[i] * width + d] += points[i * width + d];
        }
        for (uint32_t j = 0; j < VDB_PQ_CENTROIDS; j++) {
            /* An empty cluster restarts at a random point, so that no centroid goes to waste. */
            const float *restart = counts[j] ? NULL : points + (vdb_next_random(&state) % n) * width;
            for (uint32_t d = 0; d < width; d++)
                block[(uint64_t)VDB_PQ_CENTROIDS * d + j] =
                    restart ? restart[d] : (float)(sums[(uint64_t)j * width + d] / counts[j]);
        }
    }
}

static void train_subspaces(void *context, uint64_t begin, uint64_t end, uint32_t worker)
{
    (void)worker;
    training *t = context;
    uint64_t nodes = vdb_store_count(t->store), n = t->samples < nodes ? t->samples : nodes;
    for (uint64_t i = begin; i < end; i++) {
        uint32_t start, width;
        vdb_pq_subspace(t->dim, t->bytes, (uint32_t)i, &start, &width);
        float *points = malloc(sizeof(float) * n * width);
        uint32_t *assigned = malloc(sizeof(uint32_t) * n), counts[VDB_PQ_CENTROIDS];
        double *sums = malloc(sizeof(double) * VDB_PQ_CENTROIDS * width);
        if (points && assigned && sums && n >= VDB_PQ_CENTROIDS) {
            for (uint64_t s = 0; s < n; s++)
                memcpy(points + s * width, vdb_store_get(t->store, (uint32_t)(s * nodes / n)) + start,
                       sizeof(float) * width);
            uint64_t seed = t->seed ^ (0x9E3779B97F4A7C15ull * (i + 1));
            kmeans(t->codebooks + (uint64_t)VDB_PQ_CENTROIDS * start, points, n, width, seed, assigned, sums, counts);
        } else {
            atomic_store(&t->failed, 1);
        }
        free(points);
        free(assigned);
        free(sums);
    }
}

int vdb_pq_train(float *codebooks, uint32_t dim, uint32_t bytes, const vdb_store *store, uint64_t samples,
                 uint64_t seed, uint32_t threads)
{
    training t = {codebooks, dim, bytes, store, samples, seed, 0};
    vdb_parallel_for(threads, bytes, 1, train_subspaces, &t);
    return atomic_load(&t.failed) ? VDB_ENOMEM : VDB_OK;
}

void vdb_pq_centroid_norms(const float *codebooks, uint32_t dim, uint32_t bytes, float *norms)
{
    for (uint32_t i = 0; i < bytes; i++) {
        uint32_t start, width;
        vdb_pq_subspace(dim, bytes, i, &start, &width);
        block_norms(codebooks + (uint64_t)VDB_PQ_CENTROIDS * start, width, norms + (uint64_t)VDB_PQ_CENTROIDS * i);
    }
}

float vdb_pq_encode(const float *codebooks, const float *norms, uint32_t dim, uint32_t bytes, const float *vector,
                    uint8_t *codes)
{
    vdb_axpy256_fn axpy = vdb_axpy256_for();
    float norm2 = 0.0f;
    for (uint32_t i = 0; i < bytes; i++) {
        uint32_t start, width;
        vdb_pq_subspace(dim, bytes, i, &start, &width);
        const float *block = codebooks + (uint64_t)VDB_PQ_CENTROIDS * start;
        const float *block_norm = norms + (uint64_t)VDB_PQ_CENTROIDS * i;
        uint32_t code = nearest(block, block_norm, width, vector + start, axpy);
        codes[i] = (uint8_t)code;
        norm2 += block_norm[code];
    }
    return norm2;
}

void vdb_pq_prepare(const float *codebooks, uint32_t dim, uint32_t bytes, const float *query, float *table)
{
    vdb_axpy256_fn axpy = vdb_axpy256_for();
    memset(table, 0, sizeof(float) * VDB_PQ_CENTROIDS * bytes);
    for (uint32_t i = 0; i < bytes; i++) {
        uint32_t start, width;
        vdb_pq_subspace(dim, bytes, i, &start, &width);
        for (uint32_t d = 0; d < width; d++)
            axpy(table + (uint64_t)VDB_PQ_CENTROIDS * i, query[start + d],
                 codebooks + (uint64_t)VDB_PQ_CENTROIDS * (start + d));
    }
}

int vdb_pq_codebooks_finite(const float *codebooks, uint32_t dim)
{
    for (uint64_t i = 0; i < vdb_pq_quantizer_floats(dim); i++)
        if (!isfinite(codebooks[i]))
            return 0;
    return 1;
}
