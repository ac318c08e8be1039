/*
 * The committed golden index of format version 1 (tests/golden/v1.idx, made
 * by tests/golden/make_golden.c) must open, verify and search correctly in
 * every later library.
 */
#include "golden_data.h"
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdlib.h>
#include <string.h>

#define GOLDEN_V1 VDB_TEST_GOLDEN_DIR "/v1.idx"

Test(golden, v1_file_verifies)
{
    int code = vdb_verify(GOLDEN_V1);
    cr_expect_eq(code, VDB_OK, "%s: %s", vdb_strerror(code), vdb_last_error());
}

Test(golden, v1_file_opens_with_its_shape_and_config)
{
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, GOLDEN_V1, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)GOLDEN_COUNT);
    cr_expect_eq(vdb_dim(index), (uint32_t)GOLDEN_DIM);
    cr_expect_eq(vdb_metric(index), VDB_METRIC_L2);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(index, &cfg), VDB_OK);
    cr_expect_eq(cfg.m, (uint32_t)GOLDEN_M);
    cr_expect_eq(cfg.ef_construction, (uint32_t)GOLDEN_EF_CONSTRUCTION);
    cr_expect_eq(cfg.ef_search, (uint32_t)GOLDEN_EF_SEARCH);
    cr_expect_eq(cfg.seed, (uint64_t)GOLDEN_SEED);
    vdb_close(index);
}

Test(golden, v1_file_finds_its_own_vectors_at_distance_zero)
{
    enum { K = 5, NQ = GOLDEN_COUNT / 3 };
    static float all[GOLDEN_COUNT * GOLDEN_DIM], queries[NQ * GOLDEN_DIM];
    static uint64_t all_ids[GOLDEN_COUNT], approx[NQ * K], exact[NQ * K];
    for (uint32_t i = 0; i < GOLDEN_COUNT; i++) {
        golden_vector(i, all + i * GOLDEN_DIM);
        all_ids[i] = golden_id(i);
    }
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, GOLDEN_V1, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    for (uint32_t q = 0; q < NQ; q++) {
        uint32_t row = 3 * q;
        memcpy(queries + q * GOLDEN_DIM, all + row * GOLDEN_DIM, sizeof(float) * GOLDEN_DIM);
        float d[K];
        uint32_t found = 0;
        cr_assert_eq(vdb_search(index, queries + q * GOLDEN_DIM, K, 100, approx + q * K, d, &found), VDB_OK, "%s",
                     vdb_last_error());
        cr_assert_eq(found, (uint32_t)K);
        cr_expect_eq(approx[q * K], golden_id(row), "vector %u: found id %llu", row, (unsigned long long)approx[q * K]);
        cr_expect_leq(d[0], 1e-4f, "vector %u at distance %g", row, d[0]);
    }
    /* The other neighbours are the exact ones of the regenerated data (300 points, ef 100). */
    tu_brute_force(TU_L2, all, GOLDEN_COUNT, all_ids, queries, NQ, GOLDEN_DIM, K, exact, NULL);
    double recall = tu_recall(approx, exact, NQ, K);
    cr_expect_geq(recall, 0.98, "recall@5 on the golden file %.4f", recall);
    vdb_close(index);
}

Test(golden, v1_file_layout_matches_the_format_document)
{
    size_t length;
    unsigned char *f = tu_read_file(GOLDEN_V1, &length);
    cr_assert_not_null(f, "cannot read %s", GOLDEN_V1);
    cr_expect_lt(length, (size_t)100 * 1024, "the golden file should stay small");
    cr_assert_geq(length, (size_t)TU_HEADER_SIZE);
    cr_expect_arr_eq(f, "VDBINDEX", 8);
    cr_expect_eq(tu_le32(f + TU_VERSION_OFFSET), 1u);
    cr_expect_eq(tu_le32(f + TU_HEADER_CRC_OFFSET), tu_crc32c(f, TU_HEADER_CRC_OFFSET));
    cr_expect_eq(tu_le32(f + 20), (uint32_t)GOLDEN_DIM);
    cr_expect_eq(tu_le64(f + 48), (uint64_t)GOLDEN_COUNT);
    tu_section vectors = tu_read_section(f, TU_SECTION_VECTORS), ids = tu_read_section(f, TU_SECTION_IDS);
    cr_assert_eq(vectors.length, (uint64_t)GOLDEN_COUNT * GOLDEN_DIM * 4);
    cr_assert_eq(ids.length, (uint64_t)GOLDEN_COUNT * 8);
    cr_assert_leq(ids.offset + ids.length, (uint64_t)length);
    /* Node n holds the vector of the golden row whose id it carries. */
    unsigned char seen[GOLDEN_COUNT] = {0};
    for (uint32_t node = 0; node < GOLDEN_COUNT; node++) {
        uint64_t id = tu_le64(f + ids.offset + 8 * node);
        uint32_t row = GOLDEN_COUNT;
        for (uint32_t r = 0; r < GOLDEN_COUNT; r++)
            if (golden_id(r) == id)
                row = r;
        cr_assert_lt(row, (uint32_t)GOLDEN_COUNT, "node %u has unknown id %llu", node, (unsigned long long)id);
        cr_expect_eq(seen[row]++, 0);
        float v[GOLDEN_DIM];
        golden_vector(row, v);
        cr_expect_arr_eq(f + vectors.offset + (size_t)node * GOLDEN_DIM * 4, v, sizeof v, "node %u", node);
    }
    free(f);
}
