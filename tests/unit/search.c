/*
 * vdb_search and vdb_search_batch: argument checks, the "fewer than k"
 * contract, distances against the exact ones, ef handling, and batch results
 * equal to one-by-one results.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DIM = 16 };

static vdb_index *build(int32_t metric, const float *v, uint64_t n, uint32_t dim)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    cfg.metric = metric;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, v, n, NULL), VDB_OK, "%s", vdb_last_error());
    return index;
}

Test(search, refuses_null_index_query_and_ids)
{
    float *v = tu_uniform(10, DIM, 1);
    vdb_index *index = build(VDB_METRIC_L2, v, 10, DIM);
    uint64_t ids[4];
    float d[4];
    uint32_t found;
    cr_expect_eq(vdb_search(NULL, v, 4, 0, ids, d, &found), VDB_EINVAL);
    cr_expect_eq(vdb_search(index, NULL, 4, 0, ids, d, &found), VDB_EINVAL);
    cr_expect_eq(vdb_search(index, v, 4, 0, NULL, d, &found), VDB_EINVAL);
    free(v);
    vdb_close(index);
}

Test(search, refuses_k_zero)
{
    float *v = tu_uniform(10, DIM, 2);
    vdb_index *index = build(VDB_METRIC_L2, v, 10, DIM);
    uint64_t ids[1];
    cr_expect_eq(vdb_search(index, v, 0, 0, ids, NULL, NULL), VDB_EINVAL);
    free(v);
    vdb_close(index);
}

Test(search, refuses_nan_and_inf_in_query)
{
    float *v = tu_uniform(10, DIM, 3);
    vdb_index *index = build(VDB_METRIC_L2, v, 10, DIM);
    float q[DIM];
    memcpy(q, v, sizeof q);
    uint64_t ids[3];
    q[DIM - 1] = NAN;
    cr_expect_eq(vdb_search(index, q, 3, 0, ids, NULL, NULL), VDB_EINVAL);
    q[DIM - 1] = INFINITY;
    cr_expect_eq(vdb_search(index, q, 3, 0, ids, NULL, NULL), VDB_EINVAL);
    q[0] = -INFINITY;
    q[DIM - 1] = 0.5f;
    cr_expect_eq(vdb_search(index, q, 3, 0, ids, NULL, NULL), VDB_EINVAL);
    free(v);
    vdb_close(index);
}

Test(search, k_over_count_returns_all_and_pads_with_max_id_and_inf)
{
    float *v = tu_uniform(5, DIM, 4);
    vdb_index *index = build(VDB_METRIC_L2, v, 5, DIM);
    float *q = tu_uniform(1, DIM, 5);
    uint64_t ids[8], exact[5];
    float d[8];
    double exact_d[5];
    uint32_t found = 99;
    cr_assert_eq(vdb_search(index, q, 8, 0, ids, d, &found), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(found, 5u);
    tu_brute_force(TU_L2, v, 5, NULL, q, 1, DIM, 5, exact, exact_d);
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(ids[i], exact[i], "slot %d", i);
        cr_expect_float_eq(d[i], (float)exact_d[i], 1e-4f, "slot %d", i);
    }
    for (int i = 5; i < 8; i++) {
        cr_expect_eq(ids[i], UINT64_MAX, "slot %d", i);
        cr_expect(isinf(d[i]) && d[i] > 0, "slot %d distance %f", i, d[i]);
    }
    free(q);
    free(v);
    vdb_close(index);
}

Test(search, empty_index_finds_nothing)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    float *q = tu_uniform(1, DIM, 6);
    uint64_t ids[3] = {1, 2, 3};
    float d[3] = {0, 0, 0};
    uint32_t found = 7;
    cr_assert_eq(vdb_search(index, q, 3, 0, ids, d, &found), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(found, 0u);
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(ids[i], UINT64_MAX);
        cr_expect(isinf(d[i]) && d[i] > 0);
    }
    free(q);
    vdb_close(index);
}

Test(search, distances_and_found_may_be_null)
{
    float *v = tu_uniform(200, DIM, 7);
    vdb_index *index = build(VDB_METRIC_L2, v, 200, DIM);
    float *q = tu_uniform(1, DIM, 8);
    uint64_t a[10], b[10], c[10];
    float d[10];
    uint32_t found = 0;
    cr_assert_eq(vdb_search(index, q, 10, 0, a, d, &found), VDB_OK);
    cr_expect_eq(found, 10u);
    cr_assert_eq(vdb_search(index, q, 10, 0, b, NULL, NULL), VDB_OK);
    cr_assert_eq(vdb_search(index, q, 10, 0, c, NULL, &found), VDB_OK);
    cr_expect_arr_eq(a, b, sizeof a);
    cr_expect_arr_eq(a, c, sizeof a);
    free(q);
    free(v);
    vdb_close(index);
}

Test(search, ef_smaller_than_k_is_raised_to_k)
{
    float *v = tu_uniform(1000, DIM, 9);
    vdb_index *index = build(VDB_METRIC_L2, v, 1000, DIM);
    float *q = tu_uniform(20, DIM, 10);
    for (int i = 0; i < 20; i++) {
        uint64_t small[10], exact_k[10];
        float ds[10], dk[10];
        uint32_t found = 0;
        cr_assert_eq(vdb_search(index, q + i * DIM, 10, 1, small, ds, &found), VDB_OK);
        cr_expect_eq(found, 10u, "ef 1 gave %u results for k 10", found);
        cr_assert_eq(vdb_search(index, q + i * DIM, 10, 10, exact_k, dk, NULL), VDB_OK);
        cr_expect_arr_eq(small, exact_k, sizeof small, "query %d: ef 1 differs from ef = k", i);
        for (int j = 1; j < 10; j++)
            cr_expect_leq(ds[j - 1], ds[j], "query %d: distances not ascending", i);
    }
    free(q);
    free(v);
    vdb_close(index);
}

Test(search, ef_zero_means_the_index_ef_search)
{
    float *v = tu_uniform(2000, DIM, 11);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.ef_search = 37;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, 2000, NULL), VDB_OK);
    float *q = tu_uniform(30, DIM, 12);
    for (int i = 0; i < 30; i++) {
        uint64_t a[10], b[10];
        cr_assert_eq(vdb_search(index, q + i * DIM, 10, 0, a, NULL, NULL), VDB_OK);
        cr_assert_eq(vdb_search(index, q + i * DIM, 10, 37, b, NULL, NULL), VDB_OK);
        cr_expect_arr_eq(a, b, sizeof a, "query %d: ef 0 differs from ef_search 37", i);
    }
    free(q);
    free(v);
    vdb_close(index);
}

/* A beam wider than the index is the whole index: the same results, and no scratch sized by the caller's ef. */
Test(search, an_ef_or_k_beyond_the_count_searches_like_the_count)
{
    enum { N = 500 };
    float *v = tu_uniform(N, DIM, 13);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, N, NULL), VDB_OK);
    uint64_t wide[10], whole[10];
    float wide_d[10], whole_d[10];
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(vdb_search(index, v + i * DIM, 10, UINT32_MAX, wide, wide_d, NULL), VDB_OK, "%s",
                     vdb_last_error());
        cr_assert_eq(vdb_search(index, v + i * DIM, 10, N, whole, whole_d, NULL), VDB_OK);
        cr_expect_arr_eq(wide, whole, sizeof wide, "query %d: ef 2^32 - 1 differs from ef = count", i);
        cr_expect_arr_eq(wide_d, whole_d, sizeof wide_d);
    }
    uint32_t found = 0;
    uint64_t *all = malloc(sizeof *all * (N + 100));
    cr_assert_eq(vdb_search(index, v, N + 100, 0, all, NULL, &found), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(found, (uint32_t)N);
    free(all);
    free(v);
    vdb_close(index);
}

/* Every returned distance is the exact distance of the returned id, in ascending order. */
static void check_distances(int32_t metric)
{
    enum { N = 500, NQ = 20, K = 10 };
    float *v = tu_clustered(N, DIM, 10, 0.5, 13);
    vdb_index *index = build(metric, v, N, DIM);
    float *q = tu_clustered_queries(NQ, DIM, 10, 0.5, 13, 14);
    for (int i = 0; i < NQ; i++) {
        uint64_t ids[K];
        float d[K];
        uint32_t found = 0;
        cr_assert_eq(vdb_search(index, q + i * DIM, K, 100, ids, d, &found), VDB_OK);
        cr_assert_eq(found, (uint32_t)K);
        for (int j = 0; j < K; j++) {
            cr_assert_lt(ids[j], (uint64_t)N);
            double exact = tu_distance(metric, q + i * DIM, v + ids[j] * DIM, DIM);
            cr_expect(fabs(d[j] - exact) <= 1e-4 * (1.0 + fabs(exact)), "metric %d query %d slot %d: %f vs exact %f",
                      metric, i, j, d[j], exact);
            if (j > 0)
                cr_expect_leq(d[j - 1], d[j]);
        }
    }
    free(q);
    free(v);
    vdb_close(index);
}

Test(search, l2_distances_are_exact_squared_euclidean) { check_distances(VDB_METRIC_L2); }
Test(search, ip_distances_are_one_minus_dot) { check_distances(VDB_METRIC_IP); }
Test(search, cosine_distances_are_one_minus_cos) { check_distances(VDB_METRIC_COSINE); }

Test(search, cosine_zero_vector_is_at_distance_one)
{
    float v[3 * 4] = {0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
    vdb_index *index = build(VDB_METRIC_COSINE, v, 3, 4);
    float zero[4] = {0, 0, 0, 0}, x[4] = {2, 0, 0, 0};
    uint64_t ids[3];
    float d[3];
    uint32_t found;
    cr_assert_eq(vdb_search(index, zero, 3, 0, ids, d, &found), VDB_OK);
    cr_assert_eq(found, 3u);
    for (int i = 0; i < 3; i++)
        cr_expect_float_eq(d[i], 1.0f, 1e-6f, "zero query, slot %d", i);
    cr_assert_eq(vdb_search(index, x, 3, 0, ids, d, &found), VDB_OK);
    cr_assert_eq(found, 3u);
    cr_expect_eq(ids[0], 1u);
    cr_expect_float_eq(d[0], 0.0f, 1e-6f);
    cr_expect_float_eq(d[1], (float)(1.0 - 1.0 / sqrt(2.0)), 1e-5f);
    cr_expect_eq(ids[2], 0u, "the zero vector should be last");
    cr_expect_float_eq(d[2], 1.0f, 1e-6f);
    vdb_close(index);
}

Test(search, finds_stored_vector_first_at_distance_zero)
{
    float *v = tu_uniform(1000, DIM, 15);
    vdb_index *index = build(VDB_METRIC_L2, v, 1000, DIM);
    int misses = 0;
    for (uint64_t row = 0; row < 1000; row += 13) {
        uint64_t id;
        float d;
        cr_assert_eq(vdb_search(index, v + row * DIM, 1, 64, &id, &d, NULL), VDB_OK);
        misses += id != row || d > 1e-6f;
    }
    cr_expect_eq(misses, 0);
    free(v);
    vdb_close(index);
}

Test(search_batch, equals_a_loop_of_single_searches)
{
    enum { N = 3000, NQ = 64, K = 7 };
    float *v = tu_uniform(N, DIM, 16);
    vdb_index *index = build(VDB_METRIC_L2, v, N, DIM);
    cr_assert_eq(vdb_set_threads(index, 4), VDB_OK);
    float *q = tu_uniform(NQ, DIM, 17);
    uint64_t *ids = malloc(sizeof *ids * NQ * K);
    float *d = malloc(sizeof *d * NQ * K);
    uint32_t found[NQ];
    cr_assert_eq(vdb_search_batch(index, q, NQ, K, 50, ids, d, found), VDB_OK, "%s", vdb_last_error());
    for (int i = 0; i < NQ; i++) {
        uint64_t one[K];
        float od[K];
        uint32_t of = 0;
        cr_assert_eq(vdb_search(index, q + i * DIM, K, 50, one, od, &of), VDB_OK);
        cr_expect_eq(found[i], of);
        cr_expect_arr_eq(ids + i * K, one, sizeof one, "query %d ids", i);
        cr_expect_arr_eq(d + i * K, od, sizeof od, "query %d distances", i);
    }
    free(d);
    free(ids);
    free(q);
    free(v);
    vdb_close(index);
}

Test(search_batch, pads_each_query_when_k_exceeds_count)
{
    float *v = tu_uniform(3, DIM, 18);
    vdb_index *index = build(VDB_METRIC_L2, v, 3, DIM);
    float *q = tu_uniform(4, DIM, 19);
    uint64_t ids[4 * 5];
    float d[4 * 5];
    uint32_t found[4];
    cr_assert_eq(vdb_search_batch(index, q, 4, 5, 0, ids, d, found), VDB_OK);
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(found[i], 3u);
        for (int j = 3; j < 5; j++) {
            cr_expect_eq(ids[i * 5 + j], UINT64_MAX);
            cr_expect(isinf(d[i * 5 + j]));
        }
    }
    free(q);
    free(v);
    vdb_close(index);
}

Test(search_batch, zero_queries_is_ok)
{
    float *v = tu_uniform(10, DIM, 20);
    vdb_index *index = build(VDB_METRIC_L2, v, 10, DIM);
    uint64_t ids[1] = {42};
    cr_expect_eq(vdb_search_batch(index, v, 0, 5, 0, ids, NULL, NULL), VDB_OK);
    cr_expect_eq(ids[0], 42u, "nq = 0 wrote results");
    free(v);
    vdb_close(index);
}

Test(search_batch, refuses_null_and_k_zero)
{
    float *v = tu_uniform(10, DIM, 21);
    vdb_index *index = build(VDB_METRIC_L2, v, 10, DIM);
    uint64_t ids[10];
    cr_expect_eq(vdb_search_batch(NULL, v, 2, 5, 0, ids, NULL, NULL), VDB_EINVAL);
    cr_expect_eq(vdb_search_batch(index, NULL, 2, 5, 0, ids, NULL, NULL), VDB_EINVAL);
    cr_expect_eq(vdb_search_batch(index, v, 2, 5, 0, NULL, NULL, NULL), VDB_EINVAL);
    cr_expect_eq(vdb_search_batch(index, v, 2, 0, 0, ids, NULL, NULL), VDB_EINVAL);
    free(v);
    vdb_close(index);
}

Test(search_batch, checks_every_query_before_searching_any)
{
    float *v = tu_uniform(100, DIM, 22);
    vdb_index *index = build(VDB_METRIC_L2, v, 100, DIM);
    float *q = tu_uniform(8, DIM, 23);
    q[7 * DIM + 2] = NAN;
    uint64_t ids[8 * 3];
    uint32_t found[8];
    for (int i = 0; i < 8 * 3; i++)
        ids[i] = 12345;
    for (int i = 0; i < 8; i++)
        found[i] = 77;
    cr_expect_eq(vdb_search_batch(index, q, 8, 3, 0, ids, NULL, found), VDB_EINVAL);
    for (int i = 0; i < 8 * 3; i++)
        cr_expect_eq(ids[i], 12345u, "slot %d written although the batch was refused", i);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(found[i], 77u);
    free(q);
    free(v);
    vdb_close(index);
}
