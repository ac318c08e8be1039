/*
 * Reproducibility (same data + seed + one thread gives the same file) and
 * concurrent readers (many threads searching one index agree with one thread).
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { DIM = 32, N = 3000 };

static vdb_index *build_owned(const float *v, uint64_t n, uint64_t seed, uint32_t threads)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.m = 12;
    cfg.ef_construction = 80;
    cfg.threads = threads;
    cfg.seed = seed;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    /* Two batches, so that the level generator's state carries over between calls too. */
    cr_assert_eq(vdb_add(index, v, n / 3, NULL), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, v + n / 3 * DIM, n - n / 3, NULL), VDB_OK, "%s", vdb_last_error());
    return index;
}

static unsigned char *save_and_read(const vdb_index *index, const char *dir, const char *name, size_t *length)
{
    char *path = tu_path(dir, name);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    unsigned char *bytes = tu_read_file(path, length);
    cr_assert_not_null(bytes);
    free(path);
    return bytes;
}

Test(determinism, same_data_seed_one_thread_gives_byte_identical_files)
{
    char *dir = tu_temp_dir();
    float *v = tu_clustered(N, DIM, 30, 0.5, 5);
    vdb_index *a = build_owned(v, N, 1234, 1), *b = build_owned(v, N, 1234, 1);
    size_t la, lb;
    unsigned char *fa = save_and_read(a, dir, "a.vdb", &la), *fb = save_and_read(b, dir, "b.vdb", &lb);
    cr_assert_eq(la, lb, "file lengths %zu and %zu", la, lb);
    cr_expect_eq(memcmp(fa, fb, la), 0, "two builds with the same seed and one thread differ");
    free(fa);
    free(fb);
    vdb_close(a);
    vdb_close(b);
    free(v);
    tu_remove_dir(dir);
}

Test(determinism, mapped_build_with_one_thread_is_reproducible)
{
    char *dir = tu_temp_dir(), *npy = tu_path(dir, "v.npy");
    float *v = tu_uniform(N, DIM, 6);
    cr_assert_eq(tu_write_npy(npy, v, N, DIM), 0);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.m = 12;
    cfg.ef_construction = 80;
    cfg.threads = 1;
    cfg.seed = 77;
    unsigned char *files[2];
    size_t lengths[2];
    for (int i = 0; i < 2; i++) {
        vdb_index *index = NULL;
        cr_assert_eq(vdb_map_vectors(&index, npy, &cfg), VDB_OK, "%s", vdb_last_error());
        cr_assert_eq(vdb_build(index, 1000, N - 1000), VDB_OK, "%s", vdb_last_error());
        cr_assert_eq(vdb_build(index, 0, 1000), VDB_OK, "%s", vdb_last_error());
        files[i] = save_and_read(index, dir, i ? "b.vdb" : "a.vdb", &lengths[i]);
        vdb_close(index);
    }
    cr_assert_eq(lengths[0], lengths[1]);
    cr_expect_eq(memcmp(files[0], files[1], lengths[0]), 0, "two mapped builds with the same seed differ");
    free(files[0]);
    free(files[1]);
    free(v);
    free(npy);
    tu_remove_dir(dir);
}

Test(determinism, another_seed_gives_another_graph)
{
    char *dir = tu_temp_dir();
    float *v = tu_clustered(N, DIM, 30, 0.5, 5);
    vdb_index *a = build_owned(v, N, 1234, 1), *b = build_owned(v, N, 4321, 1);
    size_t la, lb;
    unsigned char *fa = save_and_read(a, dir, "a.vdb", &la), *fb = save_and_read(b, dir, "b.vdb", &lb);
    /* Guards the test above: if the seed were ignored, byte equality would prove nothing about it. */
    cr_expect(la != lb || memcmp(fa, fb, la) != 0, "seeds 1234 and 4321 gave the same file");
    free(fa);
    free(fb);
    vdb_close(a);
    vdb_close(b);
    free(v);
    tu_remove_dir(dir);
}

enum { THREADS = 8, NQ = 400, K = 10 };

typedef struct {
    const vdb_index *index;
    const float *queries;
    const uint64_t *expected_ids;
    const float *expected_distances;
    int start; /* threads walk the queries from different places, so they touch different nodes at once */
    int mismatches;
    int errors;
} reader;

static void *search_many(void *arg)
{
    reader *r = arg;
    for (int round = 0; round < 2; round++)
        for (int j = 0; j < NQ; j++) {
            int i = (j + r->start) % NQ;
            uint64_t ids[K];
            float d[K];
            uint32_t found = 0;
            if (vdb_search(r->index, r->queries + (size_t)i * DIM, K, 60, ids, d, &found) != VDB_OK || found != K) {
                r->errors++;
                continue;
            }
            if (memcmp(ids, r->expected_ids + (size_t)i * K, sizeof ids) != 0 ||
                memcmp(d, r->expected_distances + (size_t)i * K, sizeof d) != 0)
                r->mismatches++;
        }
    return NULL;
}

static void concurrent_readers_agree(const vdb_index *index, const float *queries)
{
    uint64_t *ids = malloc(sizeof *ids * NQ * K);
    float *d = malloc(sizeof *d * NQ * K);
    for (int i = 0; i < NQ; i++) {
        uint32_t found = 0;
        cr_assert_eq(vdb_search(index, queries + (size_t)i * DIM, K, 60, ids + i * K, d + i * K, &found), VDB_OK);
        cr_assert_eq(found, (uint32_t)K);
    }
    pthread_t threads[THREADS];
    reader readers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        readers[t] = (reader){index, queries, ids, d, t * NQ / THREADS, 0, 0};
        cr_assert_eq(pthread_create(&threads[t], NULL, search_many, &readers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        cr_assert_eq(pthread_join(threads[t], NULL), 0);
    for (int t = 0; t < THREADS; t++) {
        cr_expect_eq(readers[t].errors, 0, "thread %d: %d searches failed", t, readers[t].errors);
        cr_expect_eq(readers[t].mismatches, 0, "thread %d: %d searches differ from one thread's", t,
                     readers[t].mismatches);
    }
    /* A batch on many workers agrees too. */
    uint64_t *batch_ids = malloc(sizeof *batch_ids * NQ * K);
    float *batch_d = malloc(sizeof *batch_d * NQ * K);
    cr_assert_eq(vdb_search_batch(index, queries, NQ, K, 60, batch_ids, batch_d, NULL), VDB_OK);
    cr_expect_arr_eq(batch_ids, ids, sizeof *ids * NQ * K);
    cr_expect_arr_eq(batch_d, d, sizeof *d * NQ * K);
    free(batch_d);
    free(batch_ids);
    free(d);
    free(ids);
}

Test(concurrency, eight_threads_searching_an_owned_index_agree_with_one)
{
    float *v = tu_clustered(N, DIM, 30, 0.5, 8);
    float *q = tu_clustered_queries(NQ, DIM, 30, 0.5, 8, 9);
    vdb_index *index = build_owned(v, N, 42, 0);
    cr_assert_eq(vdb_set_threads(index, THREADS), VDB_OK);
    concurrent_readers_agree(index, q);
    vdb_close(index);
    free(q);
    free(v);
}

Test(concurrency, eight_threads_searching_an_opened_index_agree_with_one)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_clustered(N, DIM, 30, 0.5, 10);
    float *q = tu_clustered_queries(NQ, DIM, 30, 0.5, 10, 11);
    vdb_index *index = build_owned(v, N, 42, 0);
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_set_threads(index, THREADS), VDB_OK);
    concurrent_readers_agree(index, q);
    vdb_close(index);
    free(q);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

typedef struct {
    const vdb_index *index;
    const char *path;
    int code;
} saver;

static void *save_in_thread(void *arg)
{
    saver *s = arg;
    s->code = vdb_save(s->index, s->path);
    return NULL;
}

Test(concurrency, save_while_other_threads_search)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "i.vdb");
    float *v = tu_clustered(N, DIM, 30, 0.5, 12);
    float *q = tu_clustered_queries(NQ, DIM, 30, 0.5, 12, 13);
    vdb_index *index = build_owned(v, N, 42, 0);
    uint64_t *ids = malloc(sizeof *ids * NQ * K);
    float *d = malloc(sizeof *d * NQ * K);
    cr_assert_eq(vdb_search_batch(index, q, NQ, K, 60, ids, d, NULL), VDB_OK);
    pthread_t threads[4], save_thread;
    reader readers[4];
    saver s = {index, path, -100};
    for (int t = 0; t < 4; t++) {
        readers[t] = (reader){index, q, ids, d, t * NQ / 4, 0, 0};
        cr_assert_eq(pthread_create(&threads[t], NULL, search_many, &readers[t]), 0);
    }
    cr_assert_eq(pthread_create(&save_thread, NULL, save_in_thread, &s), 0);
    for (int t = 0; t < 4; t++)
        cr_assert_eq(pthread_join(threads[t], NULL), 0);
    cr_assert_eq(pthread_join(save_thread, NULL), 0);
    cr_expect_eq(s.code, VDB_OK, "%s", vdb_strerror(s.code));
    for (int t = 0; t < 4; t++)
        cr_expect_eq(readers[t].mismatches + readers[t].errors, 0, "thread %d", t);
    cr_expect_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    free(d);
    free(ids);
    vdb_close(index);
    free(q);
    free(v);
    free(path);
    tu_remove_dir(dir);
}

/*
 * Nodes inserted in parallel must all be reachable: each stored vector is found
 * as its own nearest neighbour, and every node but the entry point has a
 * level-0 in-link in the saved file. Small data and several rounds, so that
 * lost links between concurrently inserted nodes show up.
 */
static void parallel_insert_reaches_every_node(int mapped, uint32_t threads)
{
    enum { ROWS = 400, D = 12, ROUNDS = 12 };
    char *dir = tu_temp_dir(), *raw = tu_path(dir, "v.f32"), *path = tu_path(dir, "i.vdb");
    float *v = tu_uniform(ROWS, D, 99);
    cr_assert_eq(tu_write_raw(raw, v, ROWS, D), 0);
    int misses = 0, orphans = 0;
    for (int round = 0; round < ROUNDS; round++) {
        vdb_config cfg;
        vdb_config_init(&cfg, VDB_CONFIG_VERSION);
        cfg.dim = D;
        cfg.threads = threads;
        cfg.seed = 1000 + (uint64_t)round;
        vdb_index *index = NULL;
        if (mapped) {
            cr_assert_eq(vdb_map_vectors(&index, raw, &cfg), VDB_OK, "%s", vdb_last_error());
            cr_assert_eq(vdb_build(index, 0, ROWS), VDB_OK, "%s", vdb_last_error());
        } else {
            cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
            cr_assert_eq(vdb_add(index, v, ROWS, NULL), VDB_OK, "%s", vdb_last_error());
        }
        for (uint64_t row = 0; row < ROWS; row++) {
            uint64_t id;
            cr_assert_eq(vdb_search(index, v + row * D, 1, 100, &id, NULL, NULL), VDB_OK);
            misses += id != row;
        }
        cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
        vdb_close(index);
        size_t length;
        unsigned char *f = tu_read_file(path, &length);
        cr_assert_not_null(f);
        uint32_t m0 = tu_le32(f + 32);
        uint64_t entry = tu_le64(f + 56);
        tu_section links0 = tu_read_section(f, TU_SECTION_LINKS0);
        int in_degree[ROWS] = {0};
        for (uint64_t node = 0; node < ROWS; node++) {
            const unsigned char *block = f + links0.offset + node * (m0 + 1) * 4;
            uint32_t count = tu_le32(block);
            for (uint32_t j = 0; j < count && j < m0; j++) {
                uint32_t to = tu_le32(block + 4 + 4 * j);
                if (to < ROWS)
                    in_degree[to]++;
            }
        }
        for (uint64_t node = 0; node < ROWS; node++)
            orphans += node != entry && in_degree[node] == 0;
        free(f);
    }
    cr_expect_eq(misses, 0, "%d of %d stored vectors not found as themselves (%s, %u threads)", misses, ROWS * ROUNDS,
                 mapped ? "vdb_build" : "vdb_add", threads);
    cr_expect_eq(orphans, 0, "%d nodes without a level-0 in-link in %d graphs (%s, %u threads)", orphans, ROUNDS,
                 mapped ? "vdb_build" : "vdb_add", threads);
    free(v);
    free(raw);
    free(path);
    tu_remove_dir(dir);
}

Test(concurrency, one_thread_add_reaches_every_node) { parallel_insert_reaches_every_node(0, 1); }
Test(concurrency, parallel_add_reaches_every_node) { parallel_insert_reaches_every_node(0, 4); }
Test(concurrency, parallel_build_reaches_every_node) { parallel_insert_reaches_every_node(1, 4); }
