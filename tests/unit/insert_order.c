/*
 * Parallel insertion below the public API, with the threads' interleaving
 * replayed on one thread so that a rare schedule happens every time: one
 * node's thread chooses its links, then loses its core while hundreds of
 * other nodes are inserted, then finishes. That node must still be found as
 * its own nearest neighbour.
 */
#include "graph/insert.h"
#include "graph/search.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <stdlib.h>

/* A small M, so that link blocks fill and prune early, as they do with larger M on larger data. */
enum { ROWS = 400, DIM = 12, M = 4, EF_CONSTRUCTION = 200, SEARCH_EF = 100 };

/* Whether node `held_up`, held up between its two steps while the rest were inserted, is found as itself. */
static int found_after_holdup(const float *rows, uint32_t held_up, uint64_t seed)
{
    vdb_store store;
    vdb_store_init_owned(&store, DIM);
    cr_assert_eq(vdb_store_reserve(&store, ROWS), VDB_OK);
    vdb_store_append(&store, rows, ROWS);
    vdb_hnsw graph;
    cr_assert_eq(vdb_hnsw_init(&graph, &store, VDB_METRIC_L2, M, EF_CONSTRUCTION, seed), VDB_OK);

    cr_assert_eq(vdb_hnsw_reserve(&graph, held_up, 1), VDB_OK);
    cr_assert_eq(vdb_hnsw_insert(&graph, held_up, 1), VDB_OK);

    cr_assert_eq(vdb_hnsw_reserve(&graph, ROWS - held_up, 1), VDB_OK);
    vdb_scratch *scratch = NULL;
    cr_assert_eq(vdb_scratch_acquire(graph.scratch_pool, vdb_hnsw_scratch_size(&graph, EF_CONSTRUCTION), &scratch),
                 VDB_OK);
    vdb_hnsw_pending late = vdb_hnsw_insert_begin(&graph, held_up, scratch);
    for (uint32_t node = held_up + 1; node < ROWS; node++) {
        vdb_hnsw_pending pending = vdb_hnsw_insert_begin(&graph, node, scratch);
        vdb_hnsw_insert_end(&graph, &pending, scratch);
    }
    vdb_hnsw_insert_end(&graph, &late, scratch);
    vdb_scratch_release(graph.scratch_pool, scratch);
    graph.count = graph.allocated;

    vdb_candidate nearest;
    uint32_t found = 0;
    cr_assert_eq(vdb_hnsw_search(&graph, rows + (size_t)held_up * DIM, 1, SEARCH_EF, NULL, &nearest, &found), VDB_OK);
    cr_assert_eq(found, 1);
    vdb_hnsw_destroy(&graph);
    vdb_store_destroy(&store);
    return nearest.node == held_up;
}

Test(insert_order, a_node_held_up_while_the_graph_grows_is_still_found)
{
    float *rows = tu_uniform(ROWS, DIM, 99);
    int lost = 0;
    for (uint32_t held_up = 8; held_up < 40; held_up++) /* before the fix, 5 of these 32 were lost */
        lost += !found_after_holdup(rows, held_up, 1000 + held_up);
    cr_expect_eq(lost, 0, "%d of 32 held-up nodes not found as themselves", lost);
    free(rows);
}
