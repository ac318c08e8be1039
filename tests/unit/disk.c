/*
 * Disk-resident search (VDB_OPEN_DISK) through the public API: the same
 * ids and distances as the same file opened mapped, for int8 and PQ codes,
 * with and without a cache, under a filter, from several threads; recall
 * against exact float32 ground truth; and the calls it refuses.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdlib.h>
#include <string.h>

enum { K = 10, N = 4000, D = 32, NQ = 60, CENTRES = 30, EF = 48 };

/* More than the walks a thread runs at once (lib/disk/disk_search.h) on each of two threads. */
enum { BATCH_NQ = 300 };

static char *save_coded_dim(const char *dir, const char *name, int32_t codes, const float *base, uint64_t n,
                            uint32_t dim)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    cfg.codes = codes;
    cfg.code_bytes = codes == VDB_CODES_PQ ? 8 : 0;
    cfg.rerank = 24;
    cfg.ef_construction = 48;
    cfg.seed = 3;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, base, n, NULL), VDB_OK, "%s", vdb_last_error());
    char *path = tu_path(dir, name);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    return path;
}

static char *save_coded(const char *dir, const char *name, int32_t codes, const float *base, uint64_t n)
{
    return save_coded_dim(dir, name, codes, base, n, D);
}

/* nq queries (rows of the indexes' dimension) give the same ids, distances and counts both ways. */
static void expect_same(const vdb_index *mapped, const vdb_index *disk, const float *queries, uint32_t nq,
                        const vdb_filter *filter, const char *what)
{
    uint32_t dim = vdb_dim(mapped);
    for (uint32_t q = 0; q < nq; q++) {
        uint64_t ids_m[K], ids_d[K];
        float d_m[K], d_d[K];
        uint32_t found_m = 0, found_d = 0;
        const float *query = queries + (size_t)q * dim;
        cr_assert_eq(vdb_search_filtered(mapped, query, K, EF, filter, ids_m, d_m, &found_m), VDB_OK);
        cr_assert_eq(vdb_search_filtered(disk, query, K, EF, filter, ids_d, d_d, &found_d), VDB_OK, "%s: %s", what,
                     vdb_last_error());
        cr_assert_eq(found_m, found_d, "%s: query %u found %u mapped, %u from the disk", what, q, found_m, found_d);
        cr_assert_arr_eq(ids_m, ids_d, sizeof ids_m, "%s: query %u gave other ids", what, q);
        cr_assert_arr_eq(d_m, d_d, sizeof d_m, "%s: query %u gave other distances", what, q);
    }
}

/* The file at path opened mapped and disk-resident answers nq queries alike. */
static void expect_same_both_ways(const char *path, const float *queries, uint32_t nq, const char *what)
{
    vdb_index *mapped = NULL, *disk = NULL;
    cr_assert_eq(vdb_open(&mapped, path, 0), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&disk, path, VDB_OPEN_DISK), VDB_OK, "%s", vdb_last_error());
    expect_same(mapped, disk, queries, nq, NULL, what);
    vdb_close(disk);
    vdb_close(mapped);
}

static int allow_even(uint64_t id, void *context)
{
    (void)context;
    return id % 2 == 0;
}

/* A batch on all cores (each thread walks several queries at once, each with its own reader) gives what the mapped
 * index's batch gives. */
static void check_batch(const vdb_index *mapped, const vdb_index *disk, const float *queries, uint32_t nq,
                        const char *name)
{
    uint64_t *ids = malloc(sizeof *ids * nq * K), *batch = malloc(sizeof *batch * nq * K);
    float *distances = malloc(sizeof *distances * nq * K), *batch_distances = malloc(sizeof *distances * nq * K);
    uint32_t *found = malloc(sizeof *found * nq), *batch_found = malloc(sizeof *found * nq);
    cr_assert_eq(vdb_search_batch(mapped, queries, nq, K, EF, ids, distances, found), VDB_OK);
    cr_assert_eq(vdb_search_batch(disk, queries, nq, K, EF, batch, batch_distances, batch_found), VDB_OK, "%s",
                 vdb_last_error());
    cr_expect_arr_eq(ids, batch, sizeof *batch * nq * K, "%s: a batch of %u gave other ids", name, nq);
    cr_expect_arr_eq(distances, batch_distances, sizeof *distances * nq * K, "%s: a batch of %u gave other distances",
                     name, nq);
    cr_expect_arr_eq(found, batch_found, sizeof *found * nq, "%s: a batch of %u found other counts", name, nq);
    free(ids);
    free(batch);
    free(distances);
    free(batch_distances);
    free(found);
    free(batch_found);
}

static void check_codes(int32_t codes, const char *name)
{
    float *base = tu_clustered(N, D, CENTRES, 0.5, 21), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 21, 4);
    char *dir = tu_temp_dir(), *path = save_coded(dir, name, codes, base, N);
    vdb_index *mapped = NULL, *disk = NULL;
    cr_assert_eq(vdb_open(&mapped, path, 0), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&disk, path, VDB_OPEN_DISK), VDB_OK, "%s", vdb_last_error());
    expect_same(mapped, disk, queries, NQ, NULL, name);

    /* Recall against exact ground truth, which the mapped search is held to as well. */
    uint64_t *approx = malloc(sizeof *approx * NQ * K), *exact = malloc(sizeof *exact * NQ * K);
    cr_assert_eq(vdb_search_batch(disk, queries, NQ, K, EF, approx, NULL, NULL), VDB_OK, "%s", vdb_last_error());
    tu_brute_force(TU_L2, base, N, NULL, queries, NQ, D, K, exact, NULL);
    double recall = tu_recall(approx, exact, NQ, K);
    cr_expect_geq(recall, 0.9, "%s from the disk: recall@10 %.3f", name, recall);

    /* A cache of the top levels' blocks, then one of every block: the same results, fewer reads. */
    cr_assert_eq(vdb_set_disk_cache(disk, 64 * 1024), VDB_OK, "%s", vdb_last_error());
    expect_same(mapped, disk, queries, NQ, NULL, "with a small cache");
    cr_assert_eq(vdb_set_disk_cache(disk, 64ull << 20), VDB_OK, "%s", vdb_last_error());
    expect_same(mapped, disk, queries, NQ, NULL, "with every block cached");
    cr_assert_eq(vdb_set_disk_cache(disk, 0), VDB_OK);

    vdb_filter *even = NULL;
    cr_assert_eq(vdb_filter_from_fn(&even, allow_even, NULL), VDB_OK);
    expect_same(mapped, disk, queries, NQ, even, "under a filter");
    vdb_filter_close(even);

    check_batch(mapped, disk, queries, NQ, name);
    /* More queries than a thread walks at once: walks that finish start the next queries. */
    float *many = tu_clustered_queries(BATCH_NQ, D, CENTRES, 0.5, 21, 5);
    check_batch(mapped, disk, many, BATCH_NQ, name);
    free(many);

    free(approx);
    free(exact);
    vdb_close(disk);
    vdb_close(mapped);
    free(path);
    tu_remove_dir(dir);
    free(base);
    free(queries);
}

Test(disk, int8_gives_the_mapped_results) { check_codes(VDB_CODES_INT8, "int8.vdb"); }

Test(disk, pq_gives_the_mapped_results) { check_codes(VDB_CODES_PQ, "pq.vdb"); }

/* Fewer than 1024 vectors have no trained codes: the index is small and searched as a mapped one. */
Test(disk, untrained_codes_search_from_the_mapping)
{
    float *base = tu_clustered(500, D, CENTRES, 0.5, 22), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 22, 4);
    char *dir = tu_temp_dir(), *path = save_coded(dir, "small.vdb", VDB_CODES_PQ, base, 500);
    expect_same_both_ways(path, queries, NQ, "untrained");
    free(path);
    tu_remove_dir(dir);
    free(base);
    free(queries);
}

/* 1100 floats and their links are 4 * (1100 + 33) bytes: a block of two pages, read whole. */
Test(disk, blocks_of_more_than_a_page)
{
    enum { WIDE = 1100, ROWS = 1100, QUERIES = 20 };
    float *base = tu_clustered(ROWS, WIDE, 10, 0.5, 24), *queries = tu_clustered_queries(QUERIES, WIDE, 10, 0.5, 24, 4);
    char *dir = tu_temp_dir(), *path = save_coded_dim(dir, "wide.vdb", VDB_CODES_INT8, base, ROWS, WIDE);
    expect_same_both_ways(path, queries, QUERIES, "blocks of two pages");
    free(path);
    tu_remove_dir(dir);
    free(base);
    free(queries);
}

static void expect_refused(int got, const char *says)
{
    cr_expect_eq(got, VDB_EINVAL);
    cr_expect_not_null(strstr(vdb_last_error(), says), "'%s' does not say '%s'", vdb_last_error(), says);
}

Test(disk, what_it_refuses)
{
    float *base = tu_clustered(1200, D, CENTRES, 0.5, 23);
    char *dir = tu_temp_dir(), *coded = save_coded(dir, "coded.vdb", VDB_CODES_INT8, base, 1200);
    char *plain = save_coded(dir, "plain.vdb", VDB_CODES_NONE, base, 1200);
    vdb_index *index = NULL;
    expect_refused(vdb_open(&index, plain, VDB_OPEN_DISK), "codes");
    cr_expect_null(index);
    expect_refused(vdb_open(&index, coded, VDB_OPEN_DISK | VDB_OPEN_WRITABLE), "WRITABLE");
    expect_refused(vdb_open(&index, coded, VDB_OPEN_DISK | VDB_OPEN_POPULATE), "POPULATE");
    cr_expect_null(index);
    expect_refused(vdb_set_disk_cache(NULL, 1), "NULL");
    cr_assert_eq(vdb_open(&index, coded, 0), VDB_OK);
    expect_refused(vdb_set_disk_cache(index, 1 << 20), "VDB_OPEN_DISK");
    vdb_close(index);

    /* Changes in the journal that the file does not hold: the file alone is not the index. */
    cr_assert_eq(vdb_open(&index, coded, VDB_OPEN_WRITABLE), VDB_OK, "%s", vdb_last_error());
    uint64_t gone = 5;
    cr_assert_eq(vdb_delete(index, &gone, 1), VDB_OK);
    cr_assert_eq(vdb_commit(index), VDB_OK, "%s", vdb_last_error());
    vdb_index *disk = NULL;
    expect_refused(vdb_open(&disk, coded, VDB_OPEN_DISK), "journal");
    cr_assert_eq(vdb_save(index, coded), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_open(&disk, coded, VDB_OPEN_DISK), VDB_OK, "after a checkpoint: %s", vdb_last_error());
    vdb_close(disk);
    vdb_close(index);
    free(coded);
    free(plain);
    tu_remove_dir(dir);
    free(base);
}
