/*
 * The distance kernels, below the public API: every kernel this CPU runs
 * agrees with an independent double-precision sum, and each batch kernel
 * gives, bit for bit, what its single kernel gives for the same row (the
 * search mixes the two, and a node's distance must not depend on the path).
 */
#include "kernels/distance.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t dims[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 128, 383, 384, 1536};
static const vdb_kernel_level levels[] = {VDB_KERNEL_SCALAR, VDB_KERNEL_AVX2, VDB_KERNEL_AVX512};

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
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        uint32_t dim = dims[d];
        float *a = tu_uniform(1, dim, 100 + dim), *b = tu_uniform(1, dim, 200 + dim);
        for (size_t l = 0; l < sizeof levels / sizeof *levels; l++)
            for (int32_t metric = VDB_METRIC_L2; metric <= VDB_METRIC_COSINE; metric++) {
                vdb_distance_fn kernel = vdb_distance_at(metric, levels[l]);
                if (!kernel)
                    continue; /* this CPU lacks the level */
                double want = exact(metric, a, b, dim), got = kernel(a, b, dim);
                cr_expect(fabs(got - want) <= 1e-5 * (1.0 + fabs(want)), "metric %d level %d dim %u: %.9g, want %.9g",
                          metric, levels[l], dim, got, want);
            }
        free(a);
        free(b);
    }
}

Test(kernels, batch_kernels_match_their_single_kernel_bit_for_bit)
{
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        uint32_t dim = dims[d];
        float *query = tu_uniform(1, dim, 300 + dim), *data = tu_uniform(4, dim, 400 + dim);
        const float *rows[4] = {data, data + dim, data + 2 * dim, data + 3 * dim};
        for (size_t l = 0; l < sizeof levels / sizeof *levels; l++)
            for (int32_t metric = VDB_METRIC_L2; metric <= VDB_METRIC_IP; metric++) {
                vdb_distance_fn single = vdb_distance_at(metric, levels[l]);
                vdb_distance4_fn batch = vdb_distance4_at(metric, levels[l]);
                if (!single)
                    continue;
                cr_assert_not_null(batch, "metric %d level %d has no batch kernel", metric, levels[l]);
                float out[4];
                batch(query, rows, dim, out);
                for (int r = 0; r < 4; r++) {
                    float want = single(query, rows[r], dim);
                    cr_expect(memcmp(&out[r], &want, sizeof want) == 0,
                              "metric %d level %d dim %u row %d: %.9g != %.9g", metric, levels[l], dim, r, out[r],
                              want);
                }
            }
        free(query);
        free(data);
    }
}

Test(kernels, cosine_has_no_batch_kernel_and_unknown_metrics_have_none)
{
    cr_expect_null(vdb_distance4_for(VDB_METRIC_COSINE));
    cr_expect_null(vdb_distance4_for(99));
    cr_expect_null(vdb_distance_for(-1));
    cr_expect_not_null(vdb_distance4_for(VDB_METRIC_L2));
}
