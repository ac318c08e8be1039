/*
 * The distance kernels, below the public API: every kernel this CPU runs
 * agrees with an independent double-precision sum, and each batch kernel
 * gives, bit for bit, what its single kernel gives for the same row (the
 * search mixes the two, and a node's distance must not depend on the path).
 * A level this CPU lacks is skipped, but said and counted: a pass never hides
 * that AVX2 or AVX-512 went unchecked, and the scalar level must always run.
 */
#include "kernels/distance.h"
#include "kernels/int8.h"
#include "kernels/pq.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t dims[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 128, 383, 384, 1536};
static const vdb_kernel_level levels[] = {VDB_KERNEL_SCALAR, VDB_KERNEL_AVX2, VDB_KERNEL_AVX512};
static const char *const level_names[] = {"scalar", "AVX2", "AVX-512"};
enum { LEVELS = sizeof levels / sizeof *levels };

/* Checks a test meant to make at each level, and those it made. */
typedef struct {
    int planned[LEVELS], run[LEVELS];
} tally;

/* Say each level this CPU skipped, once per test; fail a test whose scalar level did not run every check. */
static void report(const char *test, const tally *t)
{
    for (size_t l = 0; l < LEVELS; l++)
        if (t->run[l] < t->planned[l])
            /* stderr, not cr_log_warn: Criterion's exit status counts a warning as a failure */
            fprintf(stderr, "kernels: SKIP %s (this CPU lacks it): %d of %d checks run in %s\n", level_names[l],
                    t->run[l], t->planned[l], test);
    cr_assert(t->planned[0] > 0 && t->run[0] == t->planned[0], "%s ran %d of %d scalar checks", test, t->run[0],
              t->planned[0]);
}

static double exact(int32_t metric, const float *a, const float *b, uint32_t dim)
{
    double dot = 0, norm_a = 0, norm_b = 0, l2 = 0;
    for (uint32_t i = 0; i < dim; i++) {
        double d = (double)a[i] - b[i];
        l2 += d * d;
        dot += (double)a[i] * b[i];
        norm_a += (double)a[i] * a[i];
        norm_b += (double)b[i] * b[i];
    }
    if (metric == VDB_METRIC_L2)
        return l2;
    if (metric == VDB_METRIC_IP)
        return 1.0 - dot;
    return 1.0 - dot / sqrt(norm_a * norm_b);
}

Test(kernels, every_kernel_agrees_with_a_double_precision_sum)
{
    tally t = {0};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        uint32_t dim = dims[d];
        float *a = tu_uniform(1, dim, 100 + dim), *b = tu_uniform(1, dim, 200 + dim);
        for (size_t l = 0; l < LEVELS; l++)
            for (int32_t metric = VDB_METRIC_L2; metric <= VDB_METRIC_COSINE; metric++) {
                vdb_distance_fn kernel = vdb_distance_at(metric, levels[l]);
                t.planned[l]++;
                if (!kernel)
                    continue; /* this CPU lacks the level: report() says so */
                t.run[l]++;
                double want = exact(metric, a, b, dim), got = kernel(a, b, dim);
                cr_expect(fabs(got - want) <= 1e-5 * (1.0 + fabs(want)), "metric %d level %d dim %u: %.9g, want %.9g",
                          metric, levels[l], dim, got, want);
            }
        free(a);
        free(b);
    }
    report("every_kernel_agrees_with_a_double_precision_sum", &t);
}

Test(kernels, batch_kernels_match_their_single_kernel_bit_for_bit)
{
    tally t = {0};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        uint32_t dim = dims[d];
        float *query = tu_uniform(1, dim, 300 + dim), *data = tu_uniform(4, dim, 400 + dim);
        const float *rows[4] = {data, data + dim, data + 2 * dim, data + 3 * dim};
        for (size_t l = 0; l < LEVELS; l++)
            for (int32_t metric = VDB_METRIC_L2; metric <= VDB_METRIC_IP; metric++) {
                vdb_distance_fn single = vdb_distance_at(metric, levels[l]);
                vdb_distance4_fn batch = vdb_distance4_at(metric, levels[l]);
                t.planned[l] += 4; /* one check a row */
                if (!single)
                    continue;
                cr_assert_not_null(batch, "metric %d level %d has no batch kernel", metric, levels[l]);
                float out[4];
                batch(query, rows, dim, out);
                for (int r = 0; r < 4; r++, t.run[l]++) {
                    float want = single(query, rows[r], dim);
                    cr_expect(memcmp(&out[r], &want, sizeof want) == 0,
                              "metric %d level %d dim %u row %d: %.9g != %.9g", metric, levels[l], dim, r, out[r],
                              want);
                }
            }
        free(query);
        free(data);
    }
    report("batch_kernels_match_their_single_kernel_bit_for_bit", &t);
}

Test(kernels, cosine_has_no_batch_kernel_and_unknown_metrics_have_none)
{
    cr_expect_null(vdb_distance4_for(VDB_METRIC_COSINE));
    cr_expect_null(vdb_distance4_for(99));
    cr_expect_null(vdb_distance_for(-1));
    cr_expect_not_null(vdb_distance4_for(VDB_METRIC_L2));
}

/* Bytes spanning 0..255, the extremes included, from a seed. */
static uint8_t *random_codes(uint32_t n, uint64_t seed)
{
    uint8_t *codes = malloc(n);
    cr_assert_not_null(codes);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    for (uint32_t i = 0; i < n; i++)
        codes[i] = i % 17 == 0 ? 255 : i % 13 == 0 ? 0 : (uint8_t)(tu_rng_next(&rng) >> 56);
    return codes;
}

Test(kernels, every_int8_kernel_agrees_with_a_double_precision_sum)
{
    tally t = {0};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        uint32_t dim = dims[d];
        float *weights = tu_uniform(1, dim, 500 + dim);
        uint8_t *codes = random_codes(dim, 600 + dim);
        double want = 0, magnitude = 0;
        for (uint32_t i = 0; i < dim; i++) {
            want += (double)weights[i] * codes[i];
            magnitude += fabs((double)weights[i] * codes[i]);
        }
        for (size_t l = 0; l < LEVELS; l++) {
            vdb_dot_u8_fn kernel = vdb_dot_u8_at(levels[l]);
            t.planned[l]++;
            if (!kernel)
                continue;
            t.run[l]++;
            double got = kernel(weights, codes, dim);
            cr_expect(fabs(got - want) <= 1e-6 * (1.0 + magnitude), "level %d dim %u: %.9g, want %.9g", levels[l], dim,
                      got, want);
        }
        free(weights);
        free(codes);
    }
    report("every_int8_kernel_agrees_with_a_double_precision_sum", &t);
}

Test(kernels, int8_batch_kernels_match_their_single_kernel_bit_for_bit)
{
    tally t = {0};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        uint32_t dim = dims[d];
        float *weights = tu_uniform(1, dim, 700 + dim);
        uint8_t *data = random_codes(4 * dim, 800 + dim);
        const uint8_t *rows[4] = {data, data + dim, data + 2 * dim, data + 3 * dim};
        for (size_t l = 0; l < LEVELS; l++) {
            vdb_dot_u8_fn single = vdb_dot_u8_at(levels[l]);
            vdb_dot_u8x4_fn batch = vdb_dot_u8x4_at(levels[l]);
            t.planned[l] += 4;
            if (!single)
                continue;
            cr_assert_not_null(batch, "level %d has no int8 batch kernel", levels[l]);
            float out[4];
            batch(weights, rows, dim, out);
            for (int r = 0; r < 4; r++, t.run[l]++) {
                float want = single(weights, rows[r], dim);
                cr_expect(memcmp(&out[r], &want, sizeof want) == 0, "level %d dim %u row %d: %.9g != %.9g", levels[l],
                          dim, r, out[r], want);
            }
        }
        free(weights);
        free(data);
    }
    report("int8_batch_kernels_match_their_single_kernel_bit_for_bit", &t);
}

/* Each level's PQ table sum equals a double-precision sum of the same entries; its row update the scalar one. */
Test(kernels, pq_kernels_agree_with_the_reference)
{
    tally t = {0};
    const uint32_t byte_counts[] = {1, 7, 8, 15, 16, 17, 32, 48, 96};
    for (size_t b = 0; b < sizeof byte_counts / sizeof *byte_counts; b++) {
        uint32_t n = byte_counts[b];
        float *table = tu_uniform(n, VDB_PQ_CENTROIDS, 900 + n);
        uint8_t *codes = random_codes(n, 950 + n);
        double want = 0, magnitude = 0;
        for (uint32_t i = 0; i < n; i++) {
            want += table[VDB_PQ_CENTROIDS * i + codes[i]];
            magnitude += fabs(table[VDB_PQ_CENTROIDS * i + codes[i]]);
        }
        for (size_t l = 0; l < LEVELS; l++) {
            vdb_pq_sum_fn sum = vdb_pq_sum_at(levels[l]);
            vdb_axpy256_fn axpy = vdb_axpy256_at(levels[l]);
            t.planned[l] += 2;
            if (!sum)
                continue;
            cr_assert_not_null(axpy);
            t.run[l] += 2;
            double got = sum(table, codes, n);
            cr_expect(fabs(got - want) <= 1e-6 * (1.0 + magnitude), "level %d, %u bytes: %.9g, want %.9g", levels[l], n,
                      got, want);
            float y[VDB_PQ_CENTROIDS], reference[VDB_PQ_CENTROIDS];
            memcpy(y, table, sizeof y);
            memcpy(reference, table, sizeof reference);
            axpy(y, 0.37f, table + (n - 1) * VDB_PQ_CENTROIDS);
            for (int j = 0; j < VDB_PQ_CENTROIDS; j++)
                reference[j] += 0.37f * table[(n - 1) * VDB_PQ_CENTROIDS + j];
            for (int j = 0; j < VDB_PQ_CENTROIDS; j++)
                cr_expect(fabsf(y[j] - reference[j]) <= 1e-6f * (1.0f + fabsf(reference[j])),
                          "level %d axpy at %d: %.9g, want %.9g", levels[l], j, y[j], reference[j]);
        }
        free(table);
        free(codes);
    }
    report("pq_kernels_agree_with_the_reference", &t);
}
