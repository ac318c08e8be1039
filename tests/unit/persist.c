/*
 * vdb_save, vdb_open and vdb_verify on good files: round trips for every
 * metric and both kinds of index, open flags, and argument checks.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIM = 24, N = 1500, NQ = 50, K = 10 };

static vdb_index *const SENTINEL = (vdb_index *)(uintptr_t)0x5eed;

typedef struct {
    uint64_t ids[NQ * K];
    float distances[NQ * K];
    uint32_t found[NQ];
} results;

static void search_all(const vdb_index *index, const float *queries, results *r)
{
    cr_assert_eq(vdb_search_batch(index, queries, NQ, K, 80, r->ids, r->distances, r->found), VDB_OK, "%s",
                 vdb_last_error());
}

static void expect_same_results(const results *a, const results *b, const char *what)
{
    cr_expect_arr_eq(a->ids, b->ids, sizeof a->ids, "%s: ids differ", what);
    cr_expect_arr_eq(a->distances, b->distances, sizeof a->distances, "%s: distances differ", what);
    cr_expect_arr_eq(a->found, b->found, sizeof a->found, "%s: found differs", what);
}

static vdb_config test_config(int32_t metric)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.metric = metric;
    cfg.m = 10;
    cfg.ef_construction = 60;
    cfg.ef_search = 33;
    cfg.seed = 987654321;
    return cfg;
}

static void round_trip(int32_t metric, uint32_t flags)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_clustered(N, DIM, 20, 0.4, 1);
    float *q = tu_clustered_queries(NQ, DIM, 20, 0.4, 1, 2);
    uint64_t *ids = malloc(sizeof *ids * N);
    for (uint64_t i = 0; i < N; i++)
        ids[i] = i * 7919 + 13;
    vdb_config cfg = test_config(metric);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, v, N, ids), VDB_OK, "%s", vdb_last_error());
    results *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    search_all(index, q, before);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_expect_eq(tu_count_entries(dir), 1, "save left other files beside the index");

    cr_assert_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    index = SENTINEL;
    cr_assert_eq(vdb_open(&index, path, flags), VDB_OK, "%s", vdb_last_error());
    cr_assert_neq(index, SENTINEL);
    cr_expect_eq(vdb_count(index), (uint64_t)N);
    cr_expect_eq(vdb_dim(index), (uint32_t)DIM);
    cr_expect_eq(vdb_metric(index), metric);
    vdb_config got;
    vdb_config_init(&got, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(index, &got), VDB_OK);
    cr_expect_eq(got.version, VDB_CONFIG_VERSION);
    cr_expect_eq(got.dim, (uint32_t)DIM);
    cr_expect_eq(got.metric, metric);
    cr_expect_eq(got.m, 10u);
    cr_expect_eq(got.ef_construction, 60u);
    cr_expect_eq(got.ef_search, 33u);
    cr_expect_eq(got.seed, 987654321u);
    search_all(index, q, after);
    expect_same_results(before, after, "after vdb_open");
    /* The ids are the caller's, not row numbers. */
    for (int i = 0; i < NQ * K; i++)
        cr_expect_eq((after->ids[i] - 13) % 7919, 0u, "id %llu was never added", (unsigned long long)after->ids[i]);
    vdb_close(index);

    free(after);
    free(before);
    free(ids);
    free(q);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(persist, l2_round_trip_gives_same_results) { round_trip(VDB_METRIC_L2, VDB_OPEN_DEFAULT); }
Test(persist, ip_round_trip_gives_same_results) { round_trip(VDB_METRIC_IP, VDB_OPEN_DEFAULT); }
Test(persist, cosine_round_trip_gives_same_results) { round_trip(VDB_METRIC_COSINE, VDB_OPEN_DEFAULT); }
Test(persist, open_with_verify_flag) { round_trip(VDB_METRIC_L2, VDB_OPEN_VERIFY); }
Test(persist, open_with_populate_flag) { round_trip(VDB_METRIC_L2, VDB_OPEN_POPULATE); }
Test(persist, open_with_verify_and_populate) { round_trip(VDB_METRIC_L2, VDB_OPEN_VERIFY | VDB_OPEN_POPULATE); }

Test(persist, mapped_and_built_index_round_trip)
{
    char *dir = tu_temp_dir(), *npy = tu_path(dir, "v.npy"), *path = tu_path(dir, "i.vdb");
    float *v = tu_clustered(N, DIM, 20, 0.4, 3);
    float *q = tu_clustered_queries(NQ, DIM, 20, 0.4, 3, 4);
    cr_assert_eq(tu_write_npy(npy, v, N, DIM), 0);
    vdb_config cfg = test_config(VDB_METRIC_L2);
    cfg.dim = 0;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_map_vectors(&index, npy, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_build(index, 0, N), VDB_OK, "%s", vdb_last_error());
    results *before = malloc(sizeof *before), *after = malloc(sizeof *after);
    search_all(index, q, before);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    /* The saved index is self-contained: the vector file can go. */
    cr_assert_eq(remove(npy), 0);
    cr_assert_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)N);
    cr_expect_eq(vdb_dim(index), (uint32_t)DIM);
    search_all(index, q, after);
    expect_same_results(before, after, "mapped index after vdb_open");
    vdb_close(index);
    free(after);
    free(before);
    free(q);
    free(v);
    free(npy);
    free(path);
    tu_remove_dir(dir);
}

Test(persist, opened_index_saves_again_identically)
{
    char *dir = tu_temp_dir(), *a = tu_path(dir, "a.vdb"), *b = tu_path(dir, "b.vdb");
    float *v = tu_uniform(500, DIM, 5);
    vdb_config cfg = test_config(VDB_METRIC_L2);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, 500, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, a), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, a, VDB_OPEN_DEFAULT), VDB_OK);
    cr_assert_eq(vdb_save(index, b), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    size_t la, lb;
    unsigned char *ba = tu_read_file(a, &la), *bb = tu_read_file(b, &lb);
    cr_assert(ba && bb);
    cr_assert_eq(la, lb);
    cr_expect_arr_eq(ba, bb, la, "re-saving an opened index changed the file");
    free(ba);
    free(bb);
    free(v);
    free(a);
    free(b);
    tu_remove_dir(dir);
}

Test(persist, save_overwrites_an_existing_index)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_uniform(300, DIM, 6);
    vdb_config cfg = test_config(VDB_METRIC_L2);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, 100, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    cr_assert_eq(vdb_add(index, v + 100 * DIM, 200, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_expect_eq(tu_count_entries(dir), 1);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 300u);
    vdb_close(index);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(persist, empty_index_round_trip)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "e.vdb");
    vdb_config cfg = test_config(VDB_METRIC_COSINE);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_expect_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 0u);
    cr_expect_eq(vdb_dim(index), (uint32_t)DIM);
    cr_expect_eq(vdb_metric(index), VDB_METRIC_COSINE);
    float *q = tu_uniform(1, DIM, 7);
    uint64_t ids[2];
    uint32_t found = 9;
    cr_expect_eq(vdb_search(index, q, 2, 0, ids, NULL, &found), VDB_OK);
    cr_expect_eq(found, 0u);
    cr_expect_eq(ids[0], UINT64_MAX);
    vdb_close(index);
    free(q);
    free(path);
    tu_remove_dir(dir);
}

/* Mean squared L2 between rows i and i + 1, over `n` rows. */
static double mean_step(const float *rows, uint64_t n)
{
    double sum = 0;
    for (uint64_t i = 0; i + 1 < n; i++)
        sum += tu_distance(TU_L2, rows + i * DIM, rows + (i + 1) * DIM, DIM);
    return sum / (double)(n - 1);
}

/*
 * A saved file lists nodes so that rows near each other in space are near
 * each other in the file (lib/file/save_order.h): a search of a file larger than
 * memory then reads fewer pages. Rows added in random order are, one to the
 * next, as far apart as two random rows; in the file, far nearer.
 */
Test(persist, saved_rows_near_in_space_are_near_in_the_file)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    enum { ROWS = 4000 };
    float *v = tu_clustered(ROWS, DIM, 40, 0.2, 11);
    vdb_config cfg = test_config(VDB_METRIC_L2);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, ROWS, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);
    size_t length;
    unsigned char *f = tu_read_file(path, &length);
    cr_assert_not_null(f);
    tu_section vectors = tu_read_section(f, TU_SECTION_VECTORS), ids = tu_read_section(f, TU_SECTION_IDS);
    cr_assert_eq(vectors.length, sizeof(float) * ROWS * DIM);
    float *in_file = malloc(vectors.length);
    memcpy(in_file, f + vectors.offset, vectors.length);
    double added = mean_step(v, ROWS), saved = mean_step(in_file, ROWS);
    cr_expect_lt(saved, 0.5 * added, "one row to the next: %.3f in the file, %.3f as added", saved, added);
    for (uint64_t i = 0; i < ROWS; i++) { /* and each row is still filed under its own id */
        uint64_t id = tu_le64(f + ids.offset + 8 * i);
        cr_assert_lt(id, (uint64_t)ROWS);
        cr_assert_arr_eq(in_file + i * DIM, v + id * DIM, sizeof(float) * DIM, "row %llu holds id %llu's vector",
                         (unsigned long long)i, (unsigned long long)id);
    }
    free(in_file);
    free(f);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(persist, header_fields_follow_the_format_document)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_uniform(700, DIM, 8);
    vdb_config cfg = test_config(VDB_METRIC_IP);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, 700, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);
    size_t length;
    unsigned char *f = tu_read_file(path, &length);
    cr_assert_not_null(f);
    cr_assert_geq(length, (size_t)TU_HEADER_SIZE);
    cr_expect_eq(length % 4096, 0u, "file length %zu is not a multiple of 4096", length);
    cr_expect_arr_eq(f, "VDBINDEX", 8);
    cr_expect_eq(tu_le32(f + 8), 1u, "format version");
    cr_expect_eq(tu_le32(f + 12), 4096u, "header_size");
    cr_expect_eq(tu_le32(f + 20), (uint32_t)DIM);
    cr_expect_eq(tu_le32(f + 24), (uint32_t)VDB_METRIC_IP);
    cr_expect_eq(tu_le32(f + 28), 10u, "m");
    cr_expect_eq(tu_le32(f + 32), 20u, "m0");
    cr_expect_eq(tu_le64(f + 48), 700u, "count");
    cr_expect_eq(tu_le64(f + 64), 987654321u, "seed");
    cr_expect_eq(tu_le32(f + TU_HEADER_CRC_OFFSET), tu_crc32c(f, TU_HEADER_CRC_OFFSET), "header CRC32C");
    uint64_t upper_blocks = tu_le64(f + 72);
    uint64_t expect_length[4] = {700u * DIM * 4, 700u * 21 * 4, (701 + upper_blocks * 11) * 4, 700u * 8};
    uint64_t previous_end = TU_HEADER_SIZE;
    for (int i = 0; i < 4; i++) {
        tu_section s = tu_read_section(f, i);
        cr_expect_eq(s.length, expect_length[i], "section %d length", i);
        cr_expect_eq(s.offset % 4096, 0u, "section %d offset", i);
        cr_expect_geq(s.offset, previous_end, "section %d overlaps", i);
        cr_assert_leq(s.offset + s.length, (uint64_t)length, "section %d past the end", i);
        cr_expect_eq(s.crc, tu_crc32c(f + s.offset, s.length), "section %d CRC32C", i);
        previous_end = s.offset + s.length;
    }
    /* Node i's vector (section 0) is the row added with node i's id (section 3); every id appears once. */
    tu_section vectors = tu_read_section(f, TU_SECTION_VECTORS), ids = tu_read_section(f, TU_SECTION_IDS);
    unsigned char seen[700] = {0};
    for (uint64_t node = 0; node < 700; node++) {
        uint64_t id = tu_le64(f + ids.offset + 8 * node);
        cr_assert_lt(id, 700u, "node %llu has id %llu", (unsigned long long)node, (unsigned long long)id);
        cr_expect_eq(seen[id]++, 0, "id %llu appears twice", (unsigned long long)id);
        cr_expect_arr_eq(f + vectors.offset + sizeof(float) * DIM * node, v + DIM * id, sizeof(float) * DIM,
                         "node %llu's vector is not row %llu", (unsigned long long)node, (unsigned long long)id);
    }
    free(f);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(persist, refuses_null_arguments)
{
    vdb_config cfg = test_config(VDB_METRIC_L2);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_expect_eq(vdb_save(NULL, "/tmp/x.vdb"), VDB_EINVAL);
    cr_expect_eq(vdb_save(index, NULL), VDB_EINVAL);
    vdb_index *out = SENTINEL;
    cr_expect_eq(vdb_open(NULL, "/tmp/x.vdb", 0), VDB_EINVAL);
    cr_expect_eq(vdb_open(&out, NULL, 0), VDB_EINVAL);
    cr_expect_eq(out, SENTINEL);
    cr_expect_eq(vdb_verify(NULL), VDB_EINVAL);
    vdb_close(index);
}

Test(persist, open_refuses_unknown_flag_bits)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_uniform(50, DIM, 9);
    vdb_config cfg = test_config(VDB_METRIC_L2);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, v, 50, NULL), VDB_OK);
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);
    uint32_t bad[] = {16, 32, 0x80000000u, VDB_OPEN_VERIFY | 64, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        index = SENTINEL;
        cr_expect_eq(vdb_open(&index, path, bad[i]), VDB_EINVAL, "flags 0x%x", bad[i]);
        cr_expect_eq(index, SENTINEL);
    }
    free(v);
    free(path);
    tu_remove_dir(dir);
}

Test(persist, save_into_missing_folder_is_eio)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "no/such/folder/i.vdb");
    vdb_config cfg = test_config(VDB_METRIC_L2);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_expect_eq(vdb_save(index, path), VDB_EIO);
    cr_expect_not_null(strstr(vdb_last_error(), path), "'%s' does not name the path", vdb_last_error());
    cr_expect_eq(tu_count_entries(dir), 0);
    vdb_close(index);
    free(path);
    tu_remove_dir(dir);
}
