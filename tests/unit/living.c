/*
 * A living index: delete, upsert, get, and opening a saved index writable.
 * Recall is measured against the exact k-NN of the live vectors, and set
 * beside an index built fresh on exactly those vectors.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { DIM = 32, N = 6000, NQ = 200, K = 10, EF = 20, CENTRES = 40 };

static vdb_config test_config(void)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.m = 12;
    cfg.ef_construction = 100;
    return cfg;
}

static vdb_index *build_with_ids(const float *v, const uint64_t *ids, uint64_t n)
{
    vdb_config cfg = test_config();
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, v, n, ids), VDB_OK, "%s", vdb_last_error());
    return index;
}

/* The live set: rows of `all` whose id is not in `gone`, with their ids. */
typedef struct {
    float *rows;
    uint64_t *ids;
    uint64_t count;
} live_set;

static live_set live_rows(const float *all, const uint64_t *all_ids, uint64_t n, const unsigned char *gone)
{
    live_set live = {malloc(sizeof(float) * DIM * n), malloc(sizeof(uint64_t) * n), 0};
    for (uint64_t i = 0; i < n; i++)
        if (!gone[i]) {
            memcpy(live.rows + live.count * DIM, all + i * DIM, sizeof(float) * DIM);
            live.ids[live.count++] = all_ids[i];
        }
    return live;
}

static void free_live(live_set *live)
{
    free(live->rows);
    free(live->ids);
}

/* recall@K of index against the exact k-NN of the live set; fails the test if a result is not live. */
static double recall_against(const vdb_index *index, const live_set *live, const float *queries)
{
    uint64_t *approx = malloc(sizeof *approx * NQ * K), *exact = malloc(sizeof *exact * NQ * K);
    cr_assert_eq(vdb_search_batch(index, queries, NQ, K, EF, approx, NULL, NULL), VDB_OK, "%s", vdb_last_error());
    tu_brute_force(TU_L2, live->rows, live->count, live->ids, queries, NQ, DIM, K, exact, NULL);
    for (uint64_t i = 0; i < (uint64_t)NQ * K; i++) {
        int is_live = 0;
        for (uint64_t j = 0; j < live->count && !is_live; j++)
            is_live = live->ids[j] == approx[i];
        cr_assert(is_live, "search returned id %llu, which is not live", (unsigned long long)approx[i]);
    }
    double recall = tu_recall(approx, exact, NQ, K);
    free(approx);
    free(exact);
    return recall;
}

/* Pick `count` of n positions at random (seeded): gone[i] = 1 for each. */
static unsigned char *pick(uint64_t n, uint64_t count, uint64_t seed)
{
    unsigned char *gone = calloc(n, 1);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    for (uint64_t picked = 0; picked < count;) {
        uint64_t i = tu_rng_next(&rng) % n;
        if (!gone[i]) {
            gone[i] = 1;
            picked++;
        }
    }
    return gone;
}

static uint64_t *sequence(uint64_t n, uint64_t first)
{
    uint64_t *ids = malloc(sizeof *ids * n);
    for (uint64_t i = 0; i < n; i++)
        ids[i] = first + i * 7; /* not row numbers, so ids and nodes cannot be confused */
    return ids;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void delete_share_keeps_recall(double share)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb"), *fresh_path = tu_path(dir, "fresh.vdb");
    float *v = tu_clustered(N, DIM, CENTRES, 2.0, 31);
    float *q = tu_clustered_queries(NQ, DIM, CENTRES, 2.0, 31, 32);
    uint64_t *ids = sequence(N, 1000);
    vdb_index *index = build_with_ids(v, ids, N);

    uint64_t doomed_count = (uint64_t)(share * N);
    unsigned char *gone = pick(N, doomed_count, 33);
    uint64_t *doomed = malloc(sizeof *doomed * doomed_count), d = 0;
    for (uint64_t i = 0; i < N; i++)
        if (gone[i])
            doomed[d++] = ids[i];
    cr_assert_eq(vdb_delete(index, doomed, doomed_count), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), N - doomed_count);
    cr_expect_eq(vdb_deleted(index), doomed_count);

    live_set live = live_rows(v, ids, N, gone);
    vdb_index *fresh = build_with_ids(live.rows, live.ids, live.count);
    double fresh_recall = recall_against(fresh, &live, q);
    double recall = recall_against(index, &live, q);
    cr_expect_geq(recall, fresh_recall - 0.02, "%.0f%% deleted: recall %.4f, fresh build %.4f", share * 100, recall,
                  fresh_recall);

    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_save(fresh, fresh_path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(file_size(path), file_size(fresh_path), "the saved file holds no deleted vectors");
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), live.count);
    cr_expect_eq(vdb_deleted(index), 0u);
    double reopened = recall_against(index, &live, q);
    cr_expect_geq(reopened, fresh_recall - 0.02, "%.0f%% deleted, saved and reopened: recall %.4f, fresh %.4f",
                  share * 100, reopened, fresh_recall);
    fprintf(stderr, "delete %.0f%%: recall %.4f, after save %.4f, fresh build %.4f\n", share * 100, recall, reopened,
            fresh_recall);

    vdb_close(index);
    vdb_close(fresh);
    free_live(&live);
    free(doomed);
    free(gone);
    free(ids);
    free(q);
    free(v);
    free(fresh_path);
    free(path);
    tu_remove_dir(dir);
}

Test(delete, ten_percent_keeps_recall_before_and_after_save) { delete_share_keeps_recall(0.1); }
Test(delete, half_keeps_recall_before_and_after_save) { delete_share_keeps_recall(0.5); }

Test(delete, is_all_or_nothing)
{
    float *v = tu_uniform(100, DIM, 40);
    uint64_t *ids = sequence(100, 0);
    vdb_index *index = build_with_ids(v, ids, 100);
    uint64_t absent[] = {ids[1], ids[2], 5}; /* 5 is not an id: ids are multiples of 7 */
    cr_expect_eq(vdb_delete(index, absent, 3), VDB_ENOTFOUND);
    cr_expect_not_null(strstr(vdb_last_error(), "id 5"), "%s", vdb_last_error());
    uint64_t repeated[] = {ids[1], ids[2], ids[1]};
    cr_expect_eq(vdb_delete(index, repeated, 3), VDB_ENOTFOUND);
    cr_expect_not_null(strstr(vdb_last_error(), "twice"), "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 100u, "a refused delete deleted something");
    float row[DIM];
    cr_expect_eq(vdb_get(index, ids[1], row), VDB_OK);
    cr_expect_eq(vdb_delete(index, NULL, 1), VDB_EINVAL);
    cr_expect_eq(vdb_delete(NULL, ids, 1), VDB_EINVAL);
    cr_expect_eq(vdb_delete(index, ids, 0), VDB_OK);
    cr_expect_eq(vdb_delete(index, ids + 1, 1), VDB_OK);
    cr_expect_eq(vdb_delete(index, ids + 1, 1), VDB_ENOTFOUND, "deleting twice");
    free(ids);
    free(v);
    vdb_close(index);
}

Test(get, copies_the_vector_and_forgets_deleted_ids)
{
    float *v = tu_uniform(50, DIM, 41);
    uint64_t *ids = sequence(50, 3);
    vdb_index *index = build_with_ids(v, ids, 50);
    float row[DIM];
    cr_assert_eq(vdb_get(index, ids[17], row), VDB_OK, "%s", vdb_last_error());
    cr_expect_arr_eq(row, v + 17 * DIM, sizeof row);
    cr_expect_eq(vdb_get(index, 4, row), VDB_ENOTFOUND);
    cr_expect_eq(vdb_get(index, UINT64_MAX, row), VDB_ENOTFOUND);
    cr_expect_eq(vdb_get(NULL, ids[0], row), VDB_EINVAL);
    cr_expect_eq(vdb_get(index, ids[0], NULL), VDB_EINVAL);
    cr_assert_eq(vdb_delete(index, ids + 17, 1), VDB_OK);
    cr_expect_eq(vdb_get(index, ids[17], row), VDB_ENOTFOUND);
    /* A deleted id may be added again, with another vector. */
    cr_assert_eq(vdb_add(index, v + 18 * DIM, 1, ids + 17), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_get(index, ids[17], row), VDB_OK);
    cr_expect_arr_eq(row, v + 18 * DIM, sizeof row);
    cr_expect_eq(vdb_count(index), 50u);
    free(ids);
    free(v);
    vdb_close(index);
}

Test(upsert, replaces_a_fifth_and_keeps_recall)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_clustered(N, DIM, CENTRES, 2.0, 50);
    float *q = tu_clustered_queries(NQ, DIM, CENTRES, 2.0, 50, 51);
    float *fresh_values = tu_clustered(N, DIM, CENTRES, 2.0, 52);
    uint64_t *ids = sequence(N, 9);
    vdb_index *index = build_with_ids(v, ids, N);

    unsigned char *chosen = pick(N, N / 5, 53);
    uint64_t *changed_ids = malloc(sizeof *changed_ids * N), changed = 0;
    float *changed_rows = malloc(sizeof(float) * DIM * N), *final = malloc(sizeof(float) * DIM * N);
    memcpy(final, v, sizeof(float) * DIM * N);
    for (uint64_t i = 0; i < N; i++)
        if (chosen[i]) {
            memcpy(changed_rows + changed * DIM, fresh_values + i * DIM, sizeof(float) * DIM);
            memcpy(final + i * DIM, fresh_values + i * DIM, sizeof(float) * DIM);
            changed_ids[changed++] = ids[i];
        }
    cr_assert_eq(vdb_upsert(index, changed_rows, changed, changed_ids), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)N);

    float row[DIM];
    for (uint64_t i = 0; i < N; i += 97) {
        cr_assert_eq(vdb_get(index, ids[i], row), VDB_OK);
        cr_expect_arr_eq(row, final + i * DIM, sizeof row, "id %llu holds the wrong vector",
                         (unsigned long long)ids[i]);
    }
    unsigned char none[N] = {0};
    live_set live = live_rows(final, ids, N, none);
    vdb_index *fresh = build_with_ids(live.rows, live.ids, live.count);
    double fresh_recall = recall_against(fresh, &live, q), recall = recall_against(index, &live, q);
    cr_expect_geq(recall, fresh_recall - 0.02, "upsert 20%%: recall %.4f, fresh %.4f", recall, fresh_recall);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    double reopened = recall_against(index, &live, q);
    cr_expect_geq(reopened, fresh_recall - 0.02, "upsert 20%%, saved: recall %.4f, fresh %.4f", reopened, fresh_recall);
    fprintf(stderr, "upsert 20%%: recall %.4f, after save %.4f, fresh build %.4f\n", recall, reopened, fresh_recall);

    vdb_close(index);
    vdb_close(fresh);
    free_live(&live);
    free(final);
    free(changed_rows);
    free(changed_ids);
    free(chosen);
    free(ids);
    free(fresh_values);
    free(q);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(upsert, inserts_new_ids_and_refuses_bad_batches_whole)
{
    float *v = tu_uniform(40, DIM, 60);
    uint64_t *ids = sequence(40, 0);
    vdb_index *index = build_with_ids(v, ids, 20);
    cr_assert_eq(vdb_upsert(index, v + 20 * DIM, 20, ids + 20), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 40u);
    cr_expect_eq(vdb_deleted(index), 0u, "new ids replace nothing");

    uint64_t twice[] = {ids[0], ids[1], ids[0]};
    cr_expect_eq(vdb_upsert(index, v, 3, twice), VDB_EINVAL);
    cr_expect_not_null(strstr(vdb_last_error(), "twice"), "%s", vdb_last_error());
    cr_expect_eq(vdb_upsert(index, v, 3, NULL), VDB_EINVAL);
    float bad[2 * DIM];
    memcpy(bad, v, sizeof bad);
    bad[DIM + 3] = 0.0f / 0.0f;
    cr_expect_eq(vdb_upsert(index, bad, 2, ids), VDB_EINVAL);
    uint64_t reserved[] = {ids[0], UINT64_MAX};
    cr_expect_eq(vdb_upsert(index, v, 2, reserved), VDB_EINVAL);
    cr_expect_eq(vdb_count(index), 40u);
    cr_expect_eq(vdb_deleted(index), 0u, "a refused upsert replaced something");
    float row[DIM];
    cr_assert_eq(vdb_get(index, ids[0], row), VDB_OK);
    cr_expect_arr_eq(row, v, sizeof row);
    free(ids);
    free(v);
    vdb_close(index);
}

Test(kinds, each_kind_takes_the_changes_the_header_lists)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb"), *raw = tu_path(dir, "v.f32");
    float *v = tu_uniform(60, DIM, 70);
    uint64_t *ids = sequence(60, 0);
    cr_assert_eq(tu_write_raw(raw, v, 60, DIM), 0);

    vdb_index *owned = build_with_ids(v, ids, 30);
    cr_expect_eq(vdb_build(owned, 0, 1), VDB_EINVAL);
    cr_assert_eq(vdb_save(owned, path), VDB_OK);
    vdb_close(owned);

    vdb_index *read_only = NULL;
    cr_assert_eq(vdb_open(&read_only, path, VDB_OPEN_DEFAULT), VDB_OK);
    cr_expect_eq(vdb_add(read_only, v + 30 * DIM, 1, ids + 30), VDB_EREADONLY);
    cr_expect_not_null(strstr(vdb_last_error(), "VDB_OPEN_WRITABLE"), "%s", vdb_last_error());
    cr_expect_eq(vdb_upsert(read_only, v, 1, ids), VDB_EREADONLY);
    cr_expect_eq(vdb_delete(read_only, ids, 1), VDB_EREADONLY);
    float row[DIM];
    cr_expect_eq(vdb_get(read_only, ids[3], row), VDB_OK, "%s", vdb_last_error());
    cr_expect_arr_eq(row, v + 3 * DIM, sizeof row);
    vdb_close(read_only);

    vdb_config cfg = test_config();
    vdb_index *over_file = NULL;
    cr_assert_eq(vdb_map_vectors(&over_file, raw, &cfg), VDB_OK);
    cr_assert_eq(vdb_build(over_file, 0, 60), VDB_OK);
    cr_expect_eq(vdb_add(over_file, v, 1, NULL), VDB_EREADONLY);
    cr_expect_not_null(strstr(vdb_last_error(), "vdb_build"), "%s", vdb_last_error());
    cr_expect_eq(vdb_upsert(over_file, v, 1, ids), VDB_EREADONLY);
    uint64_t rows[] = {4, 9};
    cr_expect_eq(vdb_delete(over_file, rows, 2), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(over_file), 58u);
    cr_expect_eq(vdb_rows(over_file), 60u);
    cr_expect_eq(vdb_build(over_file, 4, 1), VDB_OK, "a deleted row may be built again: %s", vdb_last_error());
    cr_expect_eq(vdb_build(over_file, 5, 1), VDB_EEXIST);
    cr_expect_eq(vdb_count(over_file), 59u);
    vdb_close(over_file);

    free(ids);
    free(v);
    free(raw);
    free(path);
    tu_remove_dir(dir);
}

Test(writable, reopen_add_a_fifth_save_in_place_and_reopen)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_clustered(N, DIM, CENTRES, 2.0, 80);
    float *q = tu_clustered_queries(NQ, DIM, CENTRES, 2.0, 80, 81);
    uint64_t *ids = sequence(N, 11);
    uint64_t first = N * 5 / 6; /* the last sixth is a fifth more */
    vdb_index *index = build_with_ids(v, ids, first);
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);

    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_WRITABLE), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_build(index, 0, 1), VDB_EINVAL);
    cr_assert_eq(vdb_add(index, v + first * DIM, N - first, ids + first), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_add(index, v, 1, ids), VDB_EEXIST, "an id from the file is live");
    cr_assert_eq(vdb_delete(index, ids + 5, 1), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_save(index, path), VDB_OK, "saving over the file it maps: %s", vdb_last_error());
    float row[DIM];
    cr_expect_eq(vdb_get(index, ids[6], row), VDB_OK, "the index still reads the file it opened");
    cr_expect_arr_eq(row, v + 6 * DIM, sizeof row);
    vdb_close(index);

    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)N - 1);
    cr_expect_eq(vdb_get(index, ids[5], row), VDB_ENOTFOUND);
    unsigned char gone[N] = {0};
    gone[5] = 1;
    live_set live = live_rows(v, ids, N, gone);
    vdb_index *fresh = build_with_ids(live.rows, live.ids, live.count);
    double fresh_recall = recall_against(fresh, &live, q), recall = recall_against(index, &live, q);
    cr_expect_geq(recall, fresh_recall - 0.02, "reopened, 20%% added, saved: recall %.4f, fresh %.4f", recall,
                  fresh_recall);
    fprintf(stderr, "writable reopen + 20%% added: recall %.4f, fresh build %.4f\n", recall, fresh_recall);

    vdb_close(index);
    vdb_close(fresh);
    free_live(&live);
    free(ids);
    free(q);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(writable, null_ids_continue_after_the_files_largest)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_uniform(20, DIM, 90);
    vdb_config cfg = test_config();
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, 10, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_WRITABLE), VDB_OK);
    cr_assert_eq(vdb_add(index, v + 10 * DIM, 10, NULL), VDB_OK, "%s", vdb_last_error());
    float row[DIM];
    cr_assert_eq(vdb_get(index, 19, row), VDB_OK, "ids 10..19 were given: %s", vdb_last_error());
    cr_expect_arr_eq(row, v + 19 * DIM, sizeof row);
    vdb_close(index);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(delete, everything_then_save_gives_an_empty_index)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_uniform(30, DIM, 95);
    uint64_t *ids = sequence(30, 0);
    vdb_index *index = build_with_ids(v, ids, 30);
    cr_assert_eq(vdb_delete(index, ids, 30), VDB_OK);
    uint64_t found_ids[K];
    uint32_t found = 99;
    cr_assert_eq(vdb_search(index, v, K, EF, found_ids, NULL, &found), VDB_OK);
    cr_expect_eq(found, 0u, "a search of an index with every vector deleted found %u", found);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 0u);
    vdb_close(index);
    free(ids);
    free(v);
    free(path);
    tu_remove_dir(dir);
}
