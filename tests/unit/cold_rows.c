/*
 * The cold-file path of the search, below the public API: when searches find
 * a mapped file's rows slow to read, they ask the kernel for an expansion's
 * rows before reading them (hnsw_search.c). That path must return exactly
 * what the ordinary one does, and so must a search with codes, whose cold
 * path asks for its rerank's rows. The hint is forced here, since whether
 * this machine's disk is slow is not something a test can arrange.
 */
#include "index/index.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 3000, DIM = 48, QUERIES = 40, K = 10 };

static void search_both_ways(vdb_index *index, const float *queries)
{
    for (int q = 0; q < QUERIES; q++) {
        uint64_t warm_ids[K], cold_ids[K];
        float warm_distances[K], cold_distances[K];
        atomic_store(&index->graph.rows_cold, 0);
        cr_assert_eq(vdb_search(index, queries + (size_t)q * DIM, K, 64, warm_ids, warm_distances, NULL), VDB_OK);
        atomic_store(&index->graph.rows_cold, 1);
        cr_assert_eq(vdb_search(index, queries + (size_t)q * DIM, K, 64, cold_ids, cold_distances, NULL), VDB_OK);
        cr_expect_arr_eq(warm_ids, cold_ids, sizeof warm_ids, "query %d: other ids on the cold path", q);
        cr_expect_arr_eq(warm_distances, cold_distances, sizeof warm_distances, "query %d: other distances", q);
    }
}

static void both_kinds_both_ways(int32_t codes)
{
    char *dir = tu_temp_dir();
    char *vectors_path = tu_path(dir, "rows.npy"), *index_path = tu_path(dir, "rows.vdb");
    float *rows = tu_uniform(ROWS, DIM, 7), *queries = tu_uniform(QUERIES, DIM, 8);
    cr_assert_eq(tu_write_npy(vectors_path, rows, ROWS, DIM), 0);

    vdb_config config;
    vdb_config_init(&config, VDB_CONFIG_VERSION);
    config.m = 8;
    config.ef_construction = 64;
    config.codes = codes;
    vdb_index *mapped;
    cr_assert_eq(vdb_map_vectors(&mapped, vectors_path, &config), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_build(mapped, 0, ROWS), VDB_OK, "%s", vdb_last_error());
    cr_assert(mapped->store.mapped_count > 0, "a mapped vector file's rows are read through the mapping");
    cr_assert_eq(mapped->codes.trained, codes != VDB_CODES_NONE, "codes %d: trained %d", codes, mapped->codes.trained);
    search_both_ways(mapped, queries);
    cr_assert_eq(vdb_save(mapped, index_path), VDB_OK, "%s", vdb_last_error());
    vdb_close(mapped);

    vdb_index *opened;
    cr_assert_eq(vdb_open(&opened, index_path, 0), VDB_OK, "%s", vdb_last_error());
    cr_assert(opened->store.mapped_count > 0);
    search_both_ways(opened, queries);
    vdb_close(opened);

    free(rows);
    free(queries);
    free(vectors_path);
    free(index_path);
    tu_remove_dir(dir);
}

Test(cold_rows, an_opened_index_and_a_mapped_vector_file_answer_the_same_on_the_cold_path)
{
    both_kinds_both_ways(VDB_CODES_NONE);
}

Test(cold_rows, with_codes_the_cold_rerank_answers_the_same) { both_kinds_both_ways(VDB_CODES_INT8); }
