/*
 * Insertions that walk int8 codes (graph/walk_codes.h): when a batch gets
 * them, and that a graph built with them finds neighbours as well as one
 * built walking the float rows, in every metric, against brute force.
 */
#include "graph/insert.h"
#include "graph/search.h"
#include "graph/walk_codes.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 3000, DIM = 48, CENTRES = 20, QUERIES = 200, K = 10, M = 8, EF_CONSTRUCTION = 64, SEARCH_EF = 24 };
#define SIGMA 0.3

static void fill_store(vdb_store *store, const float *rows, uint32_t count)
{
    vdb_store_init_owned(store, DIM);
    cr_assert_eq(vdb_store_reserve(store, count), VDB_OK);
    vdb_store_append(store, rows, count);
}

/* A graph over all of store's rows, linked in one insertion on one thread, so that it is the same every time. */
static void build(vdb_hnsw *graph, const vdb_store *store, int metric, int exact_walks)
{
    cr_assert_eq(vdb_hnsw_init(graph, store, metric, M, EF_CONSTRUCTION, 7), VDB_OK);
    graph->exact_walks = exact_walks;
    uint32_t count = (uint32_t)vdb_store_count(store);
    cr_assert_eq(vdb_hnsw_reserve(graph, count, 1), VDB_OK);
    cr_assert_eq(vdb_hnsw_insert(graph, count, 1, NULL), VDB_OK);
    cr_assert_null(graph->walk_codes, "the insertion's codes outlived it");
}

static double recall(const vdb_hnsw *graph, const float *queries, const uint64_t *exact)
{
    uint64_t *found_ids = calloc(QUERIES * K, sizeof *found_ids);
    for (uint32_t q = 0; q < QUERIES; q++) {
        vdb_candidate results[K];
        uint32_t found = 0;
        cr_assert_eq(vdb_hnsw_search(graph, queries + (size_t)q * DIM, K, SEARCH_EF, 0, NULL, results, &found), VDB_OK);
        for (uint32_t i = 0; i < found; i++)
            found_ids[q * K + i] = results[i].node;
    }
    double r = tu_recall(found_ids, exact, QUERIES, K);
    free(found_ids);
    return r;
}

static int same_links(const vdb_hnsw *a, const vdb_hnsw *b)
{
    for (uint32_t node = 0; node < a->count; node++)
        if (memcmp(vdb_hnsw_links0(a, node), vdb_hnsw_links0(b, node), sizeof(uint32_t) * (a->m0 + 1)) != 0)
            return 0;
    return 1;
}

Test(walk_codes, graphs_walked_by_codes_find_as_well_as_by_floats)
{
    float *rows = tu_clustered(ROWS, DIM, CENTRES, SIGMA, 11);
    float *queries = tu_clustered_queries(QUERIES, DIM, CENTRES, SIGMA, 11, 12);
    uint64_t *exact = malloc(sizeof *exact * QUERIES * K);
    vdb_store store;
    fill_store(&store, rows, ROWS);
    const int metrics[] = {VDB_METRIC_L2, VDB_METRIC_IP, VDB_METRIC_COSINE};
    for (int m = 0; m < 3; m++) {
        tu_brute_force(metrics[m], rows, ROWS, NULL, queries, QUERIES, DIM, K, exact, NULL);
        vdb_hnsw by_floats, by_codes;
        build(&by_floats, &store, metrics[m], 1);
        build(&by_codes, &store, metrics[m], 0);
        /* Equal graphs would mean the codes were never walked, and the comparison below would prove nothing. */
        cr_assert(!same_links(&by_floats, &by_codes), "metric %d: the insertion did not walk codes", metrics[m]);
        double floats = recall(&by_floats, queries, exact), codes = recall(&by_codes, queries, exact);
        cr_assert_geq(codes, floats - 0.02, "metric %d: recall %.4f walking codes, %.4f walking floats", metrics[m],
                      codes, floats);
        double floor = metrics[m] == VDB_METRIC_IP ? 0.75 : 0.95; /* inner product is no metric: a graph finds less */
        cr_assert_geq(codes, floor, "metric %d: recall %.4f walking codes", metrics[m], codes);
        vdb_hnsw_destroy(&by_floats);
        vdb_hnsw_destroy(&by_codes);
    }
    vdb_store_destroy(&store);
    free(rows);
    free(queries);
    free(exact);
}

/* Whether vdb_walk_codes_begin codes a graph of `rows` nodes for a batch of `more`. */
static int walks_codes(uint32_t rows, uint32_t more, int exact_walks)
{
    float *data = tu_uniform(rows, DIM, 3);
    vdb_store store;
    fill_store(&store, data, rows);
    vdb_hnsw graph;
    cr_assert_eq(vdb_hnsw_init(&graph, &store, VDB_METRIC_L2, M, EF_CONSTRUCTION, 7), VDB_OK);
    cr_assert_eq(vdb_hnsw_reserve(&graph, rows, 1), VDB_OK);
    graph.exact_walks = exact_walks;
    vdb_code_store codes;
    int walks = vdb_walk_codes_begin(&graph, more, 1, &codes);
    cr_assert_eq(walks, graph.walk_codes != NULL);
    if (walks) {
        cr_assert_eq(vdb_codes_count(&codes), rows, "every node needs a code row");
        cr_assert_eq(codes.kind, VDB_CODES_INT8);
        vdb_walk_codes_end(&graph, &codes);
        cr_assert_null(graph.walk_codes);
    }
    vdb_hnsw_destroy(&graph);
    vdb_store_destroy(&store);
    free(data);
    return walks;
}

Test(walk_codes, only_batches_worth_a_pass_over_every_row)
{
    cr_assert(walks_codes(3200, 3200, 0), "a first build");
    cr_assert(walks_codes(3200, 200, 0), "a batch of a sixteenth of the rows");
    cr_assert(!walks_codes(3200, 199, 0), "a batch of less than a sixteenth of the rows");
    cr_assert(!walks_codes(3200, 3200, 1), "a build told to walk floats");
    cr_assert(!walks_codes(VDB_INT8_TRAIN_MIN - 1, VDB_INT8_TRAIN_MIN - 1, 0), "fewer rows than int8 training needs");
}
