/*
 * Filtered search at every selectivity, with allow-lists and predicates:
 * recall@10 against the exact 10 nearest among the allowed vectors, and
 * never a disallowed id.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIM = 32, N = 20000, NQ = 100, K = 10, EF = 64, CENTRES = 50 };

typedef struct {
    float *rows;
    float *queries;
    vdb_index *index;
} fixture;

static fixture make_fixture(void)
{
    fixture f = {tu_clustered(N, DIM, CENTRES, 1.0, 7), tu_clustered_queries(NQ, DIM, CENTRES, 1.0, 7, 8), NULL};
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cr_assert_eq(vdb_create(&f.index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(f.index, f.rows, N, NULL), VDB_OK, "%s", vdb_last_error());
    return f;
}

static void free_fixture(fixture *f)
{
    vdb_close(f->index);
    free(f->rows);
    free(f->queries);
}

/* Every `stride`-th id starting at `offset`, as a mask over ids and a list. */
typedef struct {
    unsigned char *allowed; /* by id (= row) */
    uint64_t *ids;
    uint64_t count;
} selection;

static selection select_every(uint64_t stride, uint64_t offset, uint64_t limit)
{
    selection s = {calloc(N, 1), malloc(sizeof(uint64_t) * N), 0};
    for (uint64_t id = offset; id < N && s.count < limit; id += stride) {
        s.allowed[id] = 1;
        s.ids[s.count++] = id;
    }
    return s;
}

static int allowed_by_mask(uint64_t id, void *ctx) { return id < N && ((const unsigned char *)ctx)[id]; }

/* recall@K of filtered searches against the exact K nearest allowed rows; fails on a disallowed result. */
static double filtered_recall(const fixture *f, const selection *s, const vdb_filter *filter)
{
    float *allowed_rows = malloc(sizeof(float) * DIM * s->count);
    for (uint64_t i = 0; i < s->count; i++)
        memcpy(allowed_rows + i * DIM, f->rows + s->ids[i] * DIM, sizeof(float) * DIM);
    uint64_t *approx = malloc(sizeof *approx * NQ * K), *exact = malloc(sizeof *exact * NQ * K);
    uint32_t found[NQ];
    cr_assert_eq(vdb_search_batch_filtered(f->index, f->queries, NQ, K, EF, filter, approx, NULL, found), VDB_OK, "%s",
                 vdb_last_error());
    uint32_t k = s->count < K ? (uint32_t)s->count : K;
    for (uint64_t q = 0; q < NQ; q++) {
        cr_assert_eq(found[q], k, "query %llu found %u of %u", (unsigned long long)q, found[q], k);
        for (uint32_t i = 0; i < found[q]; i++)
            cr_assert(approx[q * K + i] < N && s->allowed[approx[q * K + i]], "query %llu returned disallowed id %llu",
                      (unsigned long long)q, (unsigned long long)approx[q * K + i]);
    }
    tu_brute_force(TU_L2, allowed_rows, s->count, s->ids, f->queries, NQ, DIM, K, exact, NULL);
    double hits = 0;
    for (uint64_t q = 0; q < NQ; q++)
        for (uint32_t i = 0; i < k; i++)
            for (uint32_t j = 0; j < k; j++)
                hits += approx[q * K + i] == exact[q * K + j];
    free(approx);
    free(exact);
    free(allowed_rows);
    return hits / ((double)NQ * k);
}

static void recall_at_every_selectivity(int predicate)
{
    fixture f = make_fixture();
    struct {
        uint64_t stride, limit;
        const char *name;
    } shares[] = {{1, N, "100%"}, {2, N, "50%"},     {10, N, "10%"},
                  {100, N, "1%"}, {1000, N, "0.1%"}, {997, 10, "10 ids"}};
    for (size_t i = 0; i < sizeof shares / sizeof shares[0]; i++) {
        selection s = select_every(shares[i].stride, 3, shares[i].limit);
        vdb_filter *filter = NULL;
        if (predicate)
            cr_assert_eq(vdb_filter_from_fn(&filter, allowed_by_mask, s.allowed), VDB_OK);
        else
            cr_assert_eq(vdb_filter_create(&filter, s.ids, s.count), VDB_OK);
        double recall = filtered_recall(&f, &s, filter);
        fprintf(stderr, "%s filter, %s allowed: recall@10 %.4f\n", predicate ? "predicate" : "allow-list",
                shares[i].name, recall);
        cr_expect_geq(recall, 0.95, "%s allowed: recall %.4f", shares[i].name, recall);
        vdb_filter_close(filter);
        free(s.allowed);
        free(s.ids);
    }
    free_fixture(&f);
}

Test(filter, allow_list_recall_at_every_selectivity) { recall_at_every_selectivity(0); }
Test(filter, predicate_recall_at_every_selectivity) { recall_at_every_selectivity(1); }

Test(filter, null_filter_is_a_plain_search_and_single_equals_batch)
{
    fixture f = make_fixture();
    uint64_t plain[K], filtered[K];
    float dp[K], df[K];
    cr_assert_eq(vdb_search(f.index, f.queries, K, EF, plain, dp, NULL), VDB_OK);
    cr_assert_eq(vdb_search_filtered(f.index, f.queries, K, EF, NULL, filtered, df, NULL), VDB_OK);
    cr_expect_arr_eq(plain, filtered, sizeof plain);
    cr_expect_arr_eq(dp, df, sizeof dp);

    selection s = select_every(5, 1, N);
    vdb_filter *filter = NULL;
    cr_assert_eq(vdb_filter_create(&filter, s.ids, s.count), VDB_OK);
    uint64_t *batch = malloc(sizeof *batch * NQ * K);
    cr_assert_eq(vdb_search_batch_filtered(f.index, f.queries, NQ, K, EF, filter, batch, NULL, NULL), VDB_OK);
    for (uint64_t q = 0; q < NQ; q++) {
        uint64_t one[K];
        cr_assert_eq(vdb_search_filtered(f.index, f.queries + q * DIM, K, EF, filter, one, NULL, NULL), VDB_OK);
        cr_expect_arr_eq(one, batch + q * K, sizeof one, "query %llu", (unsigned long long)q);
    }
    free(batch);
    vdb_filter_close(filter);
    free(s.allowed);
    free(s.ids);
    free_fixture(&f);
}

Test(filter, ids_not_in_the_index_deleted_ids_and_empty_lists)
{
    fixture f = make_fixture();
    uint64_t list[] = {N + 5, N + 6, 40, 41, 42, UINT64_MAX};
    vdb_filter *filter = NULL;
    cr_assert_eq(vdb_filter_create(&filter, list, 6), VDB_OK);
    uint64_t gone = 41;
    cr_assert_eq(vdb_delete(f.index, &gone, 1), VDB_OK);
    uint64_t ids[K];
    uint32_t found = 0;
    cr_assert_eq(vdb_search_filtered(f.index, f.queries, K, EF, filter, ids, NULL, &found), VDB_OK);
    cr_expect_eq(found, 2u, "ids 40 and 42 are the only allowed live ones");
    cr_expect((ids[0] == 40 && ids[1] == 42) || (ids[0] == 42 && ids[1] == 40));
    cr_expect_eq(ids[2], UINT64_MAX);
    vdb_filter_close(filter);

    cr_assert_eq(vdb_filter_create(&filter, NULL, 0), VDB_OK);
    cr_assert_eq(vdb_search_filtered(f.index, f.queries, K, EF, filter, ids, NULL, &found), VDB_OK);
    cr_expect_eq(found, 0u);
    vdb_filter_close(filter);
    free_fixture(&f);
}

Test(filter, bad_arguments)
{
    vdb_filter *filter = NULL;
    uint64_t one = 1;
    cr_expect_eq(vdb_filter_create(NULL, &one, 1), VDB_EINVAL);
    cr_expect_eq(vdb_filter_create(&filter, NULL, 3), VDB_EINVAL);
    cr_expect_eq(vdb_filter_from_fn(&filter, NULL, NULL), VDB_EINVAL);
    cr_expect_eq(vdb_filter_from_fn(NULL, allowed_by_mask, NULL), VDB_EINVAL);
    cr_expect_null(filter);
    vdb_filter_close(NULL);
}

typedef struct {
    const fixture *f;
    const vdb_filter *filter;
    const uint64_t *expected;
    int mismatches;
} reader;

static void *search_all(void *raw)
{
    reader *r = raw;
    for (int round = 0; round < 3; round++)
        for (uint64_t q = 0; q < NQ; q++) {
            uint64_t ids[K];
            if (vdb_search_filtered(r->f->index, r->f->queries + q * DIM, K, EF, r->filter, ids, NULL, NULL) !=
                    VDB_OK ||
                memcmp(ids, r->expected + q * K, sizeof ids) != 0)
                r->mismatches++;
        }
    return NULL;
}

Test(filter, one_filter_serves_many_threads_at_once)
{
    fixture f = make_fixture();
    selection s = select_every(50, 0, N);
    vdb_filter *filter = NULL;
    cr_assert_eq(vdb_filter_from_fn(&filter, allowed_by_mask, s.allowed), VDB_OK);
    uint64_t *expected = malloc(sizeof *expected * NQ * K);
    for (uint64_t q = 0; q < NQ; q++)
        cr_assert_eq(vdb_search_filtered(f.index, f.queries + q * DIM, K, EF, filter, expected + q * K, NULL, NULL),
                     VDB_OK);
    pthread_t threads[4];
    reader readers[4];
    for (int t = 0; t < 4; t++) {
        readers[t] = (reader){&f, filter, expected, 0};
        cr_assert_eq(pthread_create(&threads[t], NULL, search_all, &readers[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(threads[t], NULL);
        cr_expect_eq(readers[t].mismatches, 0, "thread %d", t);
    }
    free(expected);
    vdb_filter_close(filter);
    free(s.allowed);
    free(s.ids);
    free_fixture(&f);
}
