/*
 * vdb_set_build_memory: a first build whose rows and graph do not fit in
 * the bound is made by partitions. Graded against exact brute force and
 * against the same rows built without a bound, never against itself.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 20000, D = 32, NQ = 200, K = 10, CENTRES = 64 };
/* 20,000 rows of 32 floats are 2.4 MiB and their graph about 3 MiB: 4 MiB forces partitions, about 6 of them. */
#define SMALL_BOUND (4u << 20)

typedef struct {
    char *dir, *vectors;
    float *rows, *queries;
} fixture;

static fixture make_fixture(void)
{
    fixture f = {tu_temp_dir(), NULL, tu_clustered(N, D, CENTRES, 0.3, 77),
                 tu_clustered_queries(NQ, D, CENTRES, 0.3, 77, 5)};
    f.vectors = tu_path(f.dir, "rows.npy");
    cr_assert(f.rows && f.queries);
    cr_assert_eq(tu_write_npy(f.vectors, f.rows, N, D), 0);
    return f;
}

static void free_fixture(fixture *f)
{
    free(f->rows);
    free(f->queries);
    free(f->vectors);
    tu_remove_dir(f->dir);
}

static vdb_index *map_rows(const fixture *f, uint32_t threads, int32_t codes)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.m = 12;
    cfg.ef_construction = 64;
    cfg.threads = threads;
    cfg.codes = codes;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_map_vectors(&index, f->vectors, &cfg), VDB_OK, "%s", vdb_last_error());
    return index;
}

static vdb_index *build_within(const fixture *f, uint64_t bound, uint32_t threads)
{
    vdb_index *index = map_rows(f, threads, VDB_CODES_NONE);
    cr_assert_eq(vdb_set_build_memory(index, bound), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, N), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_count(index), (uint64_t)N);
    return index;
}

static double recall_at(const vdb_index *index, const fixture *f, uint32_t ef)
{
    uint64_t *approx = malloc(sizeof *approx * NQ * K), *exact = malloc(sizeof *exact * NQ * K);
    cr_assert(approx && exact);
    cr_assert_eq(vdb_search_batch(index, f->queries, NQ, K, ef, approx, NULL, NULL), VDB_OK, "%s", vdb_last_error());
    tu_brute_force(TU_L2, f->rows, N, NULL, f->queries, NQ, D, K, exact, NULL);
    double recall = tu_recall(approx, exact, NQ, K);
    free(approx);
    free(exact);
    return recall;
}

Test(build_memory, partitioned_recall_matches_a_build_without_bound)
{
    fixture f = make_fixture();
    vdb_index *whole = build_within(&f, 0, 0), *parts = build_within(&f, SMALL_BOUND, 0);
    double unbounded = recall_at(whole, &f, 32), bounded = recall_at(parts, &f, 32);
    fprintf(stderr, "recall@10 at ef 32: %.4f without a bound, %.4f in %u MiB\n", unbounded, bounded,
            SMALL_BOUND >> 20);
    cr_expect_geq(bounded, 0.95, "recall@10 %.4f < 0.95 built by partitions", bounded);
    cr_expect_geq(bounded, unbounded - 0.02, "by partitions %.4f, without a bound %.4f", bounded, unbounded);
    vdb_close(whole);
    vdb_close(parts);
    free_fixture(&f);
}

/* Rows a search for their own vector, at beam width ef, does not find. */
static uint32_t rows_missed(const vdb_index *index, const fixture *f, uint32_t ef)
{
    uint32_t missed = 0;
    for (uint64_t row = 0; row < N; row++) {
        uint64_t id;
        float distance;
        uint32_t found;
        cr_assert_eq(vdb_search(index, f->rows + row * D, 1, ef, &id, &distance, &found), VDB_OK);
        missed += !(found == 1 && distance == 0.0f);
    }
    return missed;
}

/*
 * Merging may drop a node's last in-link; the build gives it one back, or
 * no search could find the node. A wide search finds every row; a narrow
 * one misses about as many as in a graph built without a bound.
 */
Test(build_memory, every_row_is_found_by_its_own_vector)
{
    fixture f = make_fixture();
    vdb_index *parts = build_within(&f, SMALL_BOUND, 0), *whole = build_within(&f, 0, 0);
    uint32_t wide = rows_missed(parts, &f, 1024), narrow = rows_missed(parts, &f, 64),
             unbounded = rows_missed(whole, &f, 64);
    fprintf(stderr, "rows not found by their own vector at ef 64: %u by partitions, %u without a bound\n", narrow,
            unbounded);
    cr_expect_eq(wide, 0, "%u of %u rows not found by their own vector at ef 1024", wide, N);
    cr_expect_leq(narrow, unbounded + 5, "at ef 64: %u missed by partitions, %u without a bound", narrow, unbounded);
    vdb_close(parts);
    vdb_close(whole);
    free_fixture(&f);
}

Test(build_memory, one_thread_builds_the_same_file_twice)
{
    fixture f = make_fixture();
    char *first = tu_path(f.dir, "first.vdb"), *second = tu_path(f.dir, "second.vdb");
    vdb_index *a = build_within(&f, SMALL_BOUND, 1), *b = build_within(&f, SMALL_BOUND, 1);
    cr_assert_eq(vdb_save(a, first), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_save(b, second), VDB_OK, "%s", vdb_last_error());
    size_t la, lb;
    unsigned char *ba = tu_read_file(first, &la), *bb = tu_read_file(second, &lb);
    cr_assert(ba && bb);
    cr_expect(la == lb && memcmp(ba, bb, la) == 0, "two one-thread builds by partitions wrote different files");
    free(ba);
    free(bb);
    vdb_close(a);
    vdb_close(b);
    free(first);
    free(second);
    free_fixture(&f);
}

Test(build_memory, saved_and_reopened_answers_the_same)
{
    fixture f = make_fixture();
    char *path = tu_path(f.dir, "parts.vdb");
    vdb_index *built = build_within(&f, SMALL_BOUND, 0), *opened = NULL;
    cr_assert_eq(vdb_save(built, path), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&opened, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    uint64_t ids_built[NQ * K], ids_opened[NQ * K];
    cr_assert_eq(vdb_search_batch(built, f.queries, NQ, K, 48, ids_built, NULL, NULL), VDB_OK);
    cr_assert_eq(vdb_search_batch(opened, f.queries, NQ, K, 48, ids_opened, NULL, NULL), VDB_OK);
    cr_expect_arr_eq(ids_built, ids_opened, sizeof ids_built);
    vdb_close(built);
    vdb_close(opened);
    free(path);
    free_fixture(&f);
}

/* With codes, the file of a build by partitions searched from the disk answers as the same file mapped. */
Test(build_memory, with_codes_the_disk_and_the_mapping_answer_the_same)
{
    fixture f = make_fixture();
    char *path = tu_path(f.dir, "coded.vdb");
    vdb_index *built = map_rows(&f, 0, VDB_CODES_INT8), *mapped = NULL, *disk = NULL;
    cr_assert_eq(vdb_set_build_memory(built, SMALL_BOUND + (1u << 20)), VDB_OK); /* the codes take some */
    cr_assert_eq(vdb_build(built, 0, N), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_coded(built), (uint64_t)N);
    cr_assert_eq(vdb_save(built, path), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&mapped, path, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&disk, path, VDB_OPEN_DISK), VDB_OK, "%s", vdb_last_error());
    static uint64_t ids_mapped[NQ * K], ids_disk[NQ * K];
    static float distances_mapped[NQ * K], distances_disk[NQ * K];
    cr_assert_eq(vdb_search_batch(mapped, f.queries, NQ, K, 48, ids_mapped, distances_mapped, NULL), VDB_OK);
    cr_assert_eq(vdb_search_batch(disk, f.queries, NQ, K, 48, ids_disk, distances_disk, NULL), VDB_OK);
    cr_expect_arr_eq(ids_mapped, ids_disk, sizeof ids_mapped);
    cr_expect_arr_eq(distances_mapped, distances_disk, sizeof distances_mapped);
    double recall = recall_at(mapped, &f, 48);
    cr_expect_geq(recall, 0.95, "recall@10 %.4f with int8 codes, built by partitions", recall);
    vdb_close(built);
    vdb_close(mapped);
    vdb_close(disk);
    free(path);
    free_fixture(&f);
}

Test(build_memory, a_bound_too_small_is_refused_and_adds_nothing)
{
    fixture f = make_fixture();
    vdb_index *index = map_rows(&f, 0, VDB_CODES_NONE);
    cr_assert_eq(vdb_set_build_memory(index, 1u << 20), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, N), VDB_EINVAL);
    cr_expect(strstr(vdb_last_error(), "give at least") != NULL, "message: %s", vdb_last_error());
    cr_expect_eq(vdb_count(index), 0);
    cr_assert_eq(vdb_set_build_memory(index, SMALL_BOUND), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, N), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)N);
    cr_expect_eq(vdb_set_build_memory(NULL, 1), VDB_EINVAL);
    vdb_close(index);
    free_fixture(&f);
}

typedef struct {
    uint64_t calls, last_done, stop_after;
    int wrong; /* done went back, or total was not the rows of the call */
} progress_log;

static int record(uint64_t done, uint64_t total, void *context)
{
    progress_log *log = context;
    log->wrong |= done < log->last_done || total != N || done > total;
    log->last_done = done;
    return ++log->calls > log->stop_after;
}

Test(build_memory, progress_counts_rows_and_a_cancel_adds_nothing)
{
    fixture f = make_fixture();
    vdb_index *index = map_rows(&f, 0, VDB_CODES_NONE);
    progress_log all = {0, 0, UINT64_MAX, 0};
    cr_assert_eq(vdb_set_build_memory(index, SMALL_BOUND), VDB_OK);
    cr_assert_eq(vdb_set_progress(index, record, &all), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, N), VDB_OK, "%s", vdb_last_error());
    cr_expect(!all.wrong, "done went back or total was not %d", N);
    cr_expect_eq(all.last_done, (uint64_t)N, "the last report said %llu of %d", (unsigned long long)all.last_done, N);
    cr_expect_geq(all.calls, 3, "%llu reports", (unsigned long long)all.calls);
    vdb_close(index);

    index = map_rows(&f, 0, VDB_CODES_NONE);
    progress_log canceled = {0, 0, 5, 0};
    cr_assert_eq(vdb_set_build_memory(index, SMALL_BOUND), VDB_OK);
    cr_assert_eq(vdb_set_progress(index, record, &canceled), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, N), VDB_ECANCELED);
    cr_expect_eq(vdb_count(index), 0);
    uint64_t id;
    uint32_t found = 1;
    cr_assert_eq(vdb_search(index, f.queries, 1, 16, &id, NULL, &found), VDB_OK);
    cr_expect_eq(found, 0);
    /* The rows are free again: the same rows build, this time to the end. */
    cr_assert_eq(vdb_set_progress(index, NULL, NULL), VDB_OK);
    cr_assert_eq(vdb_build(index, 0, N), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)N);
    vdb_close(index);
    free_fixture(&f);
}
