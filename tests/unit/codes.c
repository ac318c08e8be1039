/*
 * int8 codes through the public API: recall against exact float32 ground
 * truth (never against the codes), exact distances after the rerank, the
 * training threshold, save/open round trips (format 2, and format 1 when
 * there are no codes), a writable reopen coding new vectors, what vdb_coded
 * counts, and files whose code sections are damaged.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 10, N = 5000, D = 64, NQ = 100, CENTRES = 40, TRAIN_MIN = 1024 };
enum {
    EF_CONSTRUCTION = 64
}; /* enough for these sets, and builds three times faster than the default under sanitizers */

static vdb_index *create(int32_t metric, int32_t codes, uint32_t dim)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    cfg.metric = metric;
    cfg.codes = codes;
    cfg.seed = 7;
    cfg.ef_construction = EF_CONSTRUCTION;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    return index;
}

static double recall_at(const vdb_index *index, int metric, const float *base, uint64_t n, const float *queries,
                        uint32_t ef)
{
    uint64_t *approx = malloc(sizeof *approx * NQ * K), *exact = malloc(sizeof *exact * NQ * K);
    cr_assert(approx && exact);
    cr_assert_eq(vdb_search_batch(index, queries, NQ, K, ef, approx, NULL, NULL), VDB_OK, "%s", vdb_last_error());
    tu_brute_force(metric, base, n, NULL, queries, NQ, D, K, exact, NULL);
    double recall = tu_recall(approx, exact, NQ, K);
    free(approx);
    free(exact);
    return recall;
}

/* Each metric: recall@10 at ef 64 close to the float32 index's, and every distance returned exact. */
Test(codes, int8_search_keeps_recall_and_returns_exact_distances)
{
    float *base = tu_clustered(N, D, CENTRES, 0.5, 11), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 11, 3);
    for (int32_t metric = VDB_METRIC_L2; metric <= VDB_METRIC_COSINE; metric++) {
        vdb_index *plain = create(metric, VDB_CODES_NONE, D), *coded = create(metric, VDB_CODES_INT8, D);
        cr_assert_eq(vdb_add(plain, base, N, NULL), VDB_OK);
        cr_assert_eq(vdb_add(coded, base, N, NULL), VDB_OK);
        double want = recall_at(plain, metric, base, N, queries, 64),
               got = recall_at(coded, metric, base, N, queries, 64);
        fprintf(stderr, "codes: metric %d recall@10 at ef 64: float32 %.4f, int8 %.4f\n", metric, want, got);
        cr_expect_geq(got, 0.95, "metric %d: int8 recall %.4f", metric, got);
        cr_expect_geq(got, want - 0.02, "metric %d: int8 recall %.4f, float32 %.4f", metric, got, want);

        uint64_t ids[K];
        float distances[K];
        for (uint32_t q = 0; q < NQ; q++) {
            const float *query = queries + (size_t)q * D;
            cr_assert_eq(vdb_search(coded, query, K, 64, ids, distances, NULL), VDB_OK);
            for (uint32_t i = 0; i < K; i++) {
                double exact = tu_distance(metric, query, base + ids[i] * D, D);
                cr_expect(fabs(distances[i] - exact) <= 1e-4 * (1.0 + fabs(exact)),
                          "metric %d query %u result %u: distance %.7g, exact %.7g", metric, q, i, distances[i], exact);
                if (i > 0)
                    cr_expect_leq(distances[i - 1], distances[i], "metric %d query %u: not nearest first", metric, q);
            }
        }
        vdb_close(plain);
        vdb_close(coded);
    }
    free(base);
    free(queries);
}

/* A rerank of the k best by code changes nothing but which candidates are measured: results stay sorted and exact. */
Test(codes, a_small_rerank_is_raised_to_k)
{
    float *base = tu_clustered(N, D, CENTRES, 0.5, 12), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 12, 3);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = D;
    cfg.codes = VDB_CODES_INT8;
    cfg.rerank = 1;
    cfg.ef_construction = EF_CONSTRUCTION;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, base, N, NULL), VDB_OK);
    uint32_t found = 0;
    uint64_t ids[K];
    cr_assert_eq(vdb_search(index, queries, K, 64, ids, NULL, &found), VDB_OK);
    cr_expect_eq(found, (uint32_t)K, "rerank 1 with k %d gave %u results", K, found);
    double recall = recall_at(index, TU_L2, base, N, queries, 64);
    cr_expect_geq(recall, 0.9, "rerank 1 (raised to k): recall %.4f", recall);
    vdb_close(index);
    free(base);
    free(queries);
}

/* Below the training threshold an index with codes searches exactly as one without; above it, it has codes. */
Test(codes, codes_are_trained_once_the_index_has_1024_vectors)
{
    float *base = tu_clustered(N, D, CENTRES, 0.5, 13), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 13, 3);
    vdb_index *plain = create(VDB_METRIC_L2, VDB_CODES_NONE, D), *coded = create(VDB_METRIC_L2, VDB_CODES_INT8, D);
    uint64_t want[K], got[K];
    float want_d[K], got_d[K];
    for (uint64_t added = 0; added < TRAIN_MIN - 1; added += 341) { /* several calls, all below the threshold */
        uint64_t n = TRAIN_MIN - 1 - added < 341 ? TRAIN_MIN - 1 - added : 341;
        cr_assert_eq(vdb_add(plain, base + added * D, n, NULL), VDB_OK);
        cr_assert_eq(vdb_add(coded, base + added * D, n, NULL), VDB_OK);
    }
    for (uint32_t q = 0; q < NQ; q++) {
        cr_assert_eq(vdb_search(plain, queries + (size_t)q * D, K, 16, want, want_d, NULL), VDB_OK);
        cr_assert_eq(vdb_search(coded, queries + (size_t)q * D, K, 16, got, got_d, NULL), VDB_OK);
        cr_assert_arr_eq(got, want, sizeof want, "query %u: untrained codes changed the results", q);
        cr_assert_arr_eq(got_d, want_d, sizeof want_d, "query %u: untrained codes changed the distances", q);
    }
    /* One more vector trains them; then the file says so. */
    cr_assert_eq(vdb_add(coded, base + (size_t)(TRAIN_MIN - 1) * D, 1, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "coded.vdb");
    cr_assert_eq(vdb_save(coded, path), VDB_OK, "%s", vdb_last_error());
    size_t length = 0;
    unsigned char *bytes = tu_read_file(path, &length);
    cr_assert_not_null(bytes);
    cr_expect_eq(tu_le32(bytes + TU_VERSION_OFFSET), 2u);
    cr_expect_eq(tu_le32(bytes + TU_CODES_OFFSET), (uint32_t)VDB_CODES_INT8);
    cr_expect_eq(tu_le32(bytes + TU_CODES_OFFSET + 4), 1u, "trained");
    cr_expect_eq(tu_read_section(bytes, TU_SECTION_CODES).length, (uint64_t)TRAIN_MIN * (D + 4));
    free(bytes);
    vdb_close(plain);
    vdb_close(coded);
    free(path);
    tu_remove_dir(dir);
    free(base);
    free(queries);
}

/* vdb_coded: 0 until training, then every vector, deleted ones too, through a save and open; 0 without codes. */
Test(codes, coded_counts_the_vectors_with_codes)
{
    float *base = tu_uniform(TRAIN_MIN + 100, 8, 16);
    vdb_index *plain = create(VDB_METRIC_L2, VDB_CODES_NONE, 8), *coded = create(VDB_METRIC_L2, VDB_CODES_INT8, 8);
    cr_expect_eq(vdb_coded(NULL), 0u);
    cr_assert_eq(vdb_add(plain, base, TRAIN_MIN + 100, NULL), VDB_OK);
    cr_expect_eq(vdb_coded(plain), 0u, "an index without codes");
    cr_assert_eq(vdb_add(coded, base, TRAIN_MIN - 1, NULL), VDB_OK);
    cr_expect_eq(vdb_coded(coded), 0u, "below the training threshold");
    cr_assert_eq(vdb_add(coded, base + (size_t)(TRAIN_MIN - 1) * 8, 101, NULL), VDB_OK);
    cr_expect_eq(vdb_coded(coded), (uint64_t)TRAIN_MIN + 100, "trained: every vector");
    uint64_t doomed[] = {0, 1, 2};
    cr_assert_eq(vdb_delete(coded, doomed, 3), VDB_OK);
    cr_expect_eq(vdb_coded(coded), (uint64_t)TRAIN_MIN + 100, "deleted vectors keep their codes until a save");

    char *dir = tu_temp_dir(), *path = tu_path(dir, "coded.vdb");
    cr_assert_eq(vdb_save(coded, path), VDB_OK, "%s", vdb_last_error());
    vdb_index *opened = NULL;
    cr_assert_eq(vdb_open(&opened, path, 0), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_coded(opened), (uint64_t)TRAIN_MIN + 97, "opened: the saved vectors");
    vdb_close(opened);
    vdb_close(plain);
    vdb_close(coded);
    free(path);
    tu_remove_dir(dir);
    free(base);
}

/* Without codes a save still writes format 1, which libraries before codes read. */
Test(codes, an_index_without_codes_is_saved_as_format_1)
{
    float *base = tu_uniform(100, 8, 14);
    vdb_index *index = create(VDB_METRIC_L2, VDB_CODES_NONE, 8);
    cr_assert_eq(vdb_add(index, base, 100, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "plain.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    size_t length = 0;
    unsigned char *bytes = tu_read_file(path, &length);
    cr_expect_eq(tu_le32(bytes + TU_VERSION_OFFSET), 1u);
    free(bytes);
    vdb_close(index);
    free(path);
    tu_remove_dir(dir);
    free(base);
}

/*
 * Format 2 keeps each node's vector and level-0 links in one block, so that
 * one read brings both (docs/format.md): 64 floats and 1 + 32 link words
 * are 388 bytes, in a 512-byte block. Checked against vdb_get and the ids.
 */
Test(codes, format_2_keeps_each_vector_with_its_links_in_one_block)
{
    enum { COUNT = 1500, BLOCK = 512 };
    float *base = tu_clustered(COUNT, D, CENTRES, 0.5, 17), row[D];
    vdb_index *index = create(VDB_METRIC_L2, VDB_CODES_INT8, D);
    cr_assert_eq(vdb_add(index, base, COUNT, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "blocks.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    size_t length = 0;
    unsigned char *bytes = tu_read_file(path, &length);
    cr_assert_eq(tu_le32(bytes + TU_VERSION_OFFSET), 2u);
    cr_expect_eq(tu_le32(bytes + TU_CODES_OFFSET + 16), (uint32_t)BLOCK, "node block field");
    tu_section vectors = tu_read_section(bytes, TU_SECTION_VECTORS), ids = tu_read_section(bytes, TU_SECTION_IDS);
    cr_assert_eq(vectors.length, (uint64_t)COUNT * BLOCK);
    cr_expect_eq(tu_read_section(bytes, TU_SECTION_LINKS0).length, 0u);
    for (uint64_t node = 0; node < COUNT; node++) {
        const unsigned char *block = bytes + vectors.offset + node * BLOCK;
        cr_assert_eq(vdb_get(index, tu_le64(bytes + ids.offset + 8 * node), row), VDB_OK);
        cr_assert_arr_eq(block, row, sizeof row, "node %llu: the block does not start with its vector",
                         (unsigned long long)node);
        uint32_t links = tu_le32(block + sizeof row);
        cr_assert(links >= 1 && links <= 32, "node %llu has %u level-0 links", (unsigned long long)node, links);
        for (uint32_t i = 0; i < links; i++)
            cr_assert_lt(tu_le32(block + sizeof row + 4 * (1 + i)), (uint32_t)COUNT);
        for (uint32_t at = sizeof row + 4 * (1 + links); at < BLOCK; at++)
            cr_assert_eq(block[at], 0, "node %llu: byte %u of its block is not zero", (unsigned long long)node, at);
    }
    /* A node block field that does not match the dimension and m is refused before any block is read. */
    tu_put_le32(bytes + TU_CODES_OFFSET + 16, 1024);
    tu_fix_header_crc(bytes);
    char *bad = tu_path(dir, "bad.vdb");
    cr_assert_eq(tu_write_file(bad, bytes, length), 0);
    vdb_index *opened = NULL;
    cr_expect_eq(vdb_open(&opened, bad, 0), VDB_EFORMAT);
    cr_expect_not_null(strstr(vdb_last_error(), "node block"), "%s", vdb_last_error());
    free(bytes);
    vdb_close(index);
    free(bad);
    free(path);
    tu_remove_dir(dir);
    free(base);
}

static void expect_same_results(const vdb_index *a, const vdb_index *b, const float *queries, const char *what)
{
    uint64_t ids_a[K], ids_b[K];
    float d_a[K], d_b[K];
    for (uint32_t q = 0; q < NQ; q++) {
        cr_assert_eq(vdb_search(a, queries + (size_t)q * D, K, 32, ids_a, d_a, NULL), VDB_OK);
        cr_assert_eq(vdb_search(b, queries + (size_t)q * D, K, 32, ids_b, d_b, NULL), VDB_OK);
        cr_assert_arr_eq(ids_a, ids_b, sizeof ids_a, "%s: query %u gave other ids", what, q);
        cr_assert_arr_eq(d_a, d_b, sizeof d_a, "%s: query %u gave other distances", what, q);
    }
}

/* Saved and opened (read-only and writable), the codes search as they did; a writable reopen codes what it adds. */
Test(codes, codes_survive_save_and_open_and_new_vectors_get_codes)
{
    float *base = tu_clustered(N, D, CENTRES, 0.5, 15), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 15, 3);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = D;
    cfg.codes = VDB_CODES_INT8;
    cfg.rerank = 20;
    cfg.ef_construction = EF_CONSTRUCTION;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_assert_eq(vdb_add(index, base, N / 2, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "coded.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());

    vdb_index *opened = NULL;
    cr_assert_eq(vdb_open(&opened, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    vdb_config got;
    vdb_config_init(&got, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(opened, &got), VDB_OK);
    cr_expect_eq(got.codes, VDB_CODES_INT8);
    cr_expect_eq(got.rerank, 20u);
    expect_same_results(index, opened, queries, "saved and opened");
    vdb_close(opened);

    /* The second half, added to the index in memory and to the file opened writable, codes alike. */
    cr_assert_eq(vdb_open(&opened, path, VDB_OPEN_WRITABLE), VDB_OK, "%s", vdb_last_error());
    uint64_t *ids = malloc(sizeof *ids * N / 2);
    for (uint64_t i = 0; i < N / 2; i++)
        ids[i] = N / 2 + i;
    cr_assert_eq(vdb_add(index, base + (size_t)(N / 2) * D, N / 2, ids), VDB_OK);
    cr_assert_eq(vdb_add(opened, base + (size_t)(N / 2) * D, N / 2, ids), VDB_OK);
    double recall = recall_at(opened, TU_L2, base, N, queries, 64);
    cr_expect_geq(recall, 0.95, "writable reopen with added vectors: recall %.4f", recall);
    cr_assert_eq(vdb_commit(opened), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_save(opened, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(opened);
    cr_assert_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_open(&opened, path, 0), VDB_OK, "%s", vdb_last_error());
    recall = recall_at(opened, TU_L2, base, N, queries, 64);
    cr_expect_geq(recall, 0.95, "checkpointed and reopened: recall %.4f", recall);
    vdb_close(opened);
    vdb_close(index);
    free(ids);
    free(path);
    tu_remove_dir(dir);
    free(base);
    free(queries);
}

static void expect_refused(const char *path, const char *what, const char *says)
{
    vdb_index *index = NULL;
    cr_expect_eq(vdb_open(&index, path, 0), VDB_EFORMAT, "%s: open", what);
    cr_expect_null(index);
    cr_expect_not_null(strstr(vdb_last_error(), says), "%s: '%s' does not say '%s'", what, vdb_last_error(), says);
    cr_expect_eq(vdb_verify(path), VDB_EFORMAT, "%s: verify", what);
}

/* A quantizer that cannot decode, a code section cut short or changed: VDB_EFORMAT, never a crash. */
Test(codes, damaged_code_sections_are_refused)
{
    float *base = tu_clustered(2000, D, CENTRES, 0.5, 16);
    vdb_index *index = create(VDB_METRIC_L2, VDB_CODES_INT8, D);
    cr_assert_eq(vdb_add(index, base, 2000, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "coded.vdb"), *bad = tu_path(dir, "bad.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);
    size_t length = 0;
    unsigned char *good = tu_read_file(path, &length), *copy = malloc(length);
    tu_section quantizer = tu_read_section(good, TU_SECTION_QUANTIZER), codes = tu_read_section(good, TU_SECTION_CODES);
    cr_assert_eq(quantizer.length, 2u * D * sizeof(float));

    /* A NaN step, with every checksum made to match: only the quantizer check can catch it. */
    memcpy(copy, good, length);
    float nan = NAN;
    memcpy(copy + quantizer.offset + (D + 3) * sizeof(float), &nan, sizeof nan);
    tu_put_le32(copy + TU_SECTIONS_OFFSET + TU_SECTION_QUANTIZER * 24 + 16,
                tu_crc32c(copy + quantizer.offset, quantizer.length));
    tu_fix_header_crc(copy);
    cr_assert_eq(tu_write_file(bad, copy, length), 0);
    expect_refused(bad, "NaN step", "quantizer");

    /* A negative step likewise. */
    memcpy(copy, good, length);
    float negative = -1.0f;
    memcpy(copy + quantizer.offset + D * sizeof(float), &negative, sizeof negative);
    tu_put_le32(copy + TU_SECTIONS_OFFSET + TU_SECTION_QUANTIZER * 24 + 16,
                tu_crc32c(copy + quantizer.offset, quantizer.length));
    tu_fix_header_crc(copy);
    cr_assert_eq(tu_write_file(bad, copy, length), 0);
    expect_refused(bad, "negative step", "quantizer");

    /* The file cut inside its code section. */
    cr_assert_eq(tu_write_file(bad, good, codes.offset + codes.length / 2), 0);
    expect_refused(bad, "cut in the codes", "truncated");

    /* A flipped byte in a code row: open is O(1) and cannot see it; verify does. */
    memcpy(copy, good, length);
    copy[codes.offset + 5] ^= 0x40;
    cr_assert_eq(tu_write_file(bad, copy, length), 0);
    cr_expect_eq(vdb_verify(bad), VDB_EFORMAT);
    cr_expect_not_null(strstr(vdb_last_error(), "codes section checksum"), "%s", vdb_last_error());

    /* A code section whose length disagrees with the header. */
    memcpy(copy, good, length);
    tu_put_le32(copy + TU_SECTIONS_OFFSET + TU_SECTION_CODES * 24 + 8, (uint32_t)codes.length - 4);
    tu_fix_header_crc(copy);
    cr_assert_eq(tu_write_file(bad, copy, length), 0);
    expect_refused(bad, "code section length", "codes section");

    /* An unknown kind of codes. */
    memcpy(copy, good, length);
    tu_put_le32(copy + TU_CODES_OFFSET, 9);
    tu_fix_header_crc(copy);
    cr_assert_eq(tu_write_file(bad, copy, length), 0);
    expect_refused(bad, "unknown codes", "codes");

    free(good);
    free(copy);
    free(path);
    free(bad);
    tu_remove_dir(dir);
    free(base);
}

/* --- PQ --------------------------------------------------------------- */

enum { PQ_N = 4500, PQ_BYTES = 16 }; /* PQ trains at 4096 vectors */

static vdb_index *create_pq(int32_t metric, uint32_t code_bytes, uint32_t threads, uint64_t seed)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = D;
    cfg.metric = metric;
    cfg.codes = VDB_CODES_PQ;
    cfg.code_bytes = code_bytes;
    cfg.threads = threads;
    cfg.seed = seed;
    cfg.ef_construction = EF_CONSTRUCTION;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    return index;
}

/* 16 bytes for 64 floats (16x smaller): recall against exact float32 k-NN, exact distances after the rerank. */
Test(codes, pq_search_reaches_recall_with_exact_distances)
{
    float *base = tu_clustered(PQ_N, D, CENTRES, 0.5, 21), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 21, 3);
    for (int32_t metric = VDB_METRIC_L2; metric <= VDB_METRIC_COSINE; metric++) {
        vdb_index *index = create_pq(metric, PQ_BYTES, 0, 5);
        cr_assert_eq(vdb_add(index, base, PQ_N, NULL), VDB_OK, "%s", vdb_last_error());
        double recall = recall_at(index, metric, base, PQ_N, queries, 96);
        fprintf(stderr, "codes: metric %d PQ%d recall@10 at ef 96: %.4f\n", metric, PQ_BYTES, recall);
        cr_expect_geq(recall, 0.95, "metric %d: PQ recall %.4f", metric, recall);
        uint64_t ids[K];
        float distances[K];
        cr_assert_eq(vdb_search(index, queries, K, 96, ids, distances, NULL), VDB_OK);
        for (uint32_t i = 0; i < K; i++) {
            double exact = tu_distance(metric, queries, base + ids[i] * D, D);
            cr_expect(fabs(distances[i] - exact) <= 1e-4 * (1.0 + fabs(exact)), "metric %d result %u: %.7g, exact %.7g",
                      metric, i, distances[i], exact);
        }
        vdb_close(index);
    }
    free(base);
    free(queries);
}

/* The same data and seed give the same codebooks and codes, on one thread or two; another seed other codebooks. */
Test(codes, pq_training_is_deterministic_with_a_seed)
{
    float *base = tu_clustered(PQ_N, D, CENTRES, 0.5, 22);
    char *dir = tu_temp_dir();
    unsigned char *files[3];
    size_t lengths[3];
    const uint32_t threads[3] = {1, 2, 1};
    const uint64_t seeds[3] = {9, 9, 10};
    for (int i = 0; i < 3; i++) {
        vdb_index *index = create_pq(VDB_METRIC_L2, PQ_BYTES, threads[i], seeds[i]);
        /* One thread builds the same graph every time; the codes are what is compared. */
        cr_assert_eq(vdb_set_threads(index, 1), VDB_OK);
        cr_assert_eq(vdb_add(index, base, PQ_N, NULL), VDB_OK);
        char name[32];
        snprintf(name, sizeof name, "pq-%d.vdb", i);
        char *path = tu_path(dir, name);
        cr_assert_eq(vdb_save(index, path), VDB_OK);
        files[i] = tu_read_file(path, &lengths[i]);
        free(path);
        vdb_close(index);
    }
    tu_section q0 = tu_read_section(files[0], TU_SECTION_QUANTIZER), c0 = tu_read_section(files[0], TU_SECTION_CODES);
    tu_section q1 = tu_read_section(files[1], TU_SECTION_QUANTIZER), c1 = tu_read_section(files[1], TU_SECTION_CODES);
    tu_section q2 = tu_read_section(files[2], TU_SECTION_QUANTIZER);
    cr_assert_eq(q0.length, 256u * D * sizeof(float));
    cr_assert_eq(c0.length, (uint64_t)PQ_N * (PQ_BYTES + 4));
    cr_expect(q0.length == q1.length && memcmp(files[0] + q0.offset, files[1] + q1.offset, q0.length) == 0,
              "one thread and two trained different codebooks");
    cr_expect(c0.length == c1.length && memcmp(files[0] + c0.offset, files[1] + c1.offset, c0.length) == 0,
              "one thread and two coded differently");
    cr_expect(memcmp(files[0] + q0.offset, files[2] + q2.offset, q0.length) != 0, "another seed, the same codebooks");
    for (int i = 0; i < 3; i++)
        free(files[i]);
    tu_remove_dir(dir);
    free(base);
}

/* code_bytes: 0 takes dim / 8; over dim, or set for other codes, is refused; a file keeps it. */
Test(codes, pq_code_bytes_are_checked_defaulted_and_saved)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = D;
    cfg.codes = VDB_CODES_PQ;
    cfg.code_bytes = D + 1;
    vdb_index *index = NULL;
    cr_expect_eq(vdb_create(&index, &cfg), VDB_EINVAL);
    cr_expect_not_null(strstr(vdb_last_error(), "code_bytes"), "%s", vdb_last_error());
    cfg.codes = VDB_CODES_INT8;
    cfg.code_bytes = 8;
    cr_expect_eq(vdb_create(&index, &cfg), VDB_EINVAL);
    cr_expect_not_null(strstr(vdb_last_error(), "code_bytes"), "%s", vdb_last_error());

    index = create_pq(VDB_METRIC_L2, 0, 0, 1);
    vdb_config got;
    vdb_config_init(&got, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(index, &got), VDB_OK);
    cr_expect_eq(got.code_bytes, D / 8u, "code_bytes 0 became %u", got.code_bytes);
    float *base = tu_clustered(PQ_N, D, CENTRES, 0.5, 23), *queries = tu_clustered_queries(NQ, D, CENTRES, 0.5, 23, 3);
    cr_assert_eq(vdb_add(index, base, PQ_N, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "pq.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_index *opened = NULL;
    cr_assert_eq(vdb_open(&opened, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    vdb_config_init(&got, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(opened, &got), VDB_OK);
    cr_expect_eq(got.codes, VDB_CODES_PQ);
    cr_expect_eq(got.code_bytes, D / 8u);
    expect_same_results(index, opened, queries, "PQ saved and opened");
    vdb_close(opened);
    vdb_close(index);
    free(path);
    tu_remove_dir(dir);
    free(base);
    free(queries);
}

Test(codes, pq_codebooks_that_are_not_finite_are_refused)
{
    float *base = tu_clustered(PQ_N, D, CENTRES, 0.5, 24);
    vdb_index *index = create_pq(VDB_METRIC_L2, PQ_BYTES, 0, 1);
    cr_assert_eq(vdb_add(index, base, PQ_N, NULL), VDB_OK);
    char *dir = tu_temp_dir(), *path = tu_path(dir, "pq.vdb"), *bad = tu_path(dir, "bad.vdb");
    cr_assert_eq(vdb_save(index, path), VDB_OK);
    vdb_close(index);
    size_t length = 0;
    unsigned char *bytes = tu_read_file(path, &length);
    tu_section quantizer = tu_read_section(bytes, TU_SECTION_QUANTIZER);
    float infinity = INFINITY;
    memcpy(bytes + quantizer.offset + 1000 * sizeof(float), &infinity, sizeof infinity);
    tu_put_le32(bytes + TU_SECTIONS_OFFSET + TU_SECTION_QUANTIZER * 24 + 16,
                tu_crc32c(bytes + quantizer.offset, quantizer.length));
    tu_fix_header_crc(bytes);
    cr_assert_eq(tu_write_file(bad, bytes, length), 0);
    expect_refused(bad, "infinite centroid", "quantizer");
    free(bytes);
    free(path);
    free(bad);
    tu_remove_dir(dir);
    free(base);
}
