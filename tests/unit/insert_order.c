/*
 * Insertion and repair below the public API, where a test can arrange what
 * threads make rare: a node's thread that loses its core between choosing
 * its links and publishing them while hundreds of others are inserted; and
 * blocks so small (M 2) that pruning drops in-links all the time. Every node
 * must stay reachable: found as its own nearest neighbour, with at least one
 * level-0 in-link, whose count the graph keeps right.
 */
#include "graph/in_links.h"
#include "graph/insert.h"
#include "graph/repair.h"
#include "graph/search.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <stdlib.h>

/* A small M, so that link blocks fill and prune early, as they do with larger M on larger data. */
enum { ROWS = 400, DIM = 12, M = 4, EF_CONSTRUCTION = 200, SEARCH_EF = 100 };

/* An owned store of `count` rows and an empty graph over it, with links per node m (2m on level 0). */
static void start_graph(vdb_store *store, vdb_hnsw *graph, const float *rows, uint32_t count, uint32_t m, uint64_t seed)
{
    vdb_store_init_owned(store, DIM);
    cr_assert_eq(vdb_store_reserve(store, count), VDB_OK);
    vdb_store_append(store, rows, count);
    cr_assert_eq(vdb_hnsw_init(graph, store, VDB_METRIC_L2, m, EF_CONSTRUCTION, seed), VDB_OK);
}

/* Whether node `held_up`, held up between its two steps while the rest were inserted, is found as itself. */
static int found_after_holdup(const float *rows, uint32_t held_up, uint64_t seed)
{
    vdb_store store;
    vdb_hnsw graph;
    start_graph(&store, &graph, rows, ROWS, M, seed);

    cr_assert_eq(vdb_hnsw_reserve(&graph, held_up, 1), VDB_OK);
    cr_assert_eq(vdb_hnsw_insert(&graph, held_up, 1, NULL), VDB_OK);

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
    cr_assert_eq(vdb_hnsw_search(&graph, rows + (size_t)held_up * DIM, 1, SEARCH_EF, 0, NULL, &nearest, &found),
                 VDB_OK);
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

/* Level-0 in-links counted from the blocks themselves. */
static void count_in_links(const vdb_hnsw *graph, uint32_t *in)
{
    for (uint32_t node = 0; node < graph->count; node++)
        in[node] = 0;
    for (uint32_t node = 0; node < graph->count; node++) {
        const uint32_t *block = vdb_hnsw_links0(graph, node);
        for (uint32_t i = 0; i < block[0]; i++)
            in[block[1 + i]]++;
    }
}

Test(insert_order, no_node_loses_its_last_in_link_and_the_counts_are_right)
{
    /* M 2: a block holds 4 links, so back-links prune all the time and drop the last in-links HNSW would drop. */
    float *rows = tu_uniform(ROWS, DIM, 5);
    int orphans = 0, miscounted = 0;
    for (uint64_t seed = 0; seed < 16; seed++) {
        vdb_store store;
        vdb_hnsw graph;
        start_graph(&store, &graph, rows, ROWS, 2, seed);
        cr_assert_eq(vdb_hnsw_reserve(&graph, ROWS, 4), VDB_OK);
        cr_assert_eq(vdb_hnsw_insert(&graph, ROWS, seed % 2 ? 4 : 1, NULL), VDB_OK);
        uint32_t in[ROWS];
        count_in_links(&graph, in);
        for (uint32_t node = 0; node < ROWS; node++) {
            orphans += node != graph.entry && in[node] == 0;
            miscounted += atomic_load(&graph.in_links0[node]) != in[node];
        }
        vdb_hnsw_destroy(&graph);
        vdb_store_destroy(&store);
    }
    cr_expect_eq(orphans, 0, "%d nodes without a level-0 in-link in 16 graphs", orphans);
    cr_expect_eq(miscounted, 0, "%d in-link counts differ from the blocks", miscounted);
    free(rows);
}

/*
 * A block re-chooses its links: old link 5 leaves but is node 5's last
 * in-link, so it stays in place of the farthest chosen link that can go,
 * old link 4, whose target has another. Link 4 then leaves too, and its
 * in-link must drop once, not a second time as if it had been leaving all
 * along (which once made parallel builds miscount, and later drop a live
 * node's real last in-link).
 */
Test(insert_order, settling_a_block_drops_each_leaving_link_once)
{
    float *rows = tu_uniform(8, DIM, 7);
    vdb_store store;
    vdb_hnsw graph;
    start_graph(&store, &graph, rows, 8, 2, 1);
    cr_assert_eq(vdb_hnsw_reserve(&graph, 8, 1), VDB_OK);
    cr_assert_eq(graph.m0, 4);
    const unsigned before[8] = {0, 1, 1, 1, 2, 1, 0, 0};
    for (uint32_t node = 0; node < 8; node++)
        atomic_store(&graph.in_links0[node], before[node]);

    const uint32_t old[] = {5, 4};
    uint32_t chosen[VDB_MAX_M0] = {1, 2, 3, 4}; /* nearest first: 4 is the farthest */
    uint32_t count = vdb_hnsw_settle_links(&graph, old, 2, chosen, 4, VDB_NO_NODE);

    cr_assert_eq(count, 4);
    cr_expect_arr_eq(chosen, ((uint32_t[]){1, 2, 3, 5}), sizeof(uint32_t) * 4);
    const unsigned after[8] = {0, 2, 2, 2, 1, 1, 0, 0};
    for (uint32_t node = 0; node < 8; node++)
        cr_expect_eq(atomic_load(&graph.in_links0[node]), after[node], "node %u has %u in-links, not %u", node,
                     atomic_load(&graph.in_links0[node]), after[node]);
    vdb_hnsw_destroy(&graph);
    vdb_store_destroy(&store);
    free(rows);
}

Test(insert_order, a_repair_around_deleted_nodes_leaves_no_live_node_without_an_in_link)
{
    float *rows = tu_uniform(ROWS, DIM, 6);
    int orphans = 0, miscounted = 0;
    for (uint64_t seed = 0; seed < 8; seed++) {
        vdb_store store;
        vdb_hnsw graph;
        start_graph(&store, &graph, rows, ROWS, 2, seed);
        cr_assert_eq(vdb_hnsw_reserve(&graph, ROWS, 1), VDB_OK);
        cr_assert_eq(vdb_hnsw_insert(&graph, ROWS, 1, NULL), VDB_OK);
        cr_assert_eq(vdb_hnsw_reserve_dead(&graph), VDB_OK);
        for (uint32_t node = (uint32_t)seed; node < ROWS; node += 5) /* every fifth and then some */
            vdb_hnsw_mark_dead(&graph, node);
        for (uint32_t node = (uint32_t)seed + 1; node < ROWS; node += 7)
            if (!vdb_hnsw_is_dead(&graph, node))
                vdb_hnsw_mark_dead(&graph, node);
        cr_assert_eq(vdb_hnsw_repair_in_place(&graph, 2), VDB_OK);
        uint32_t in[ROWS];
        count_in_links(&graph, in);
        for (uint32_t node = 0; node < ROWS; node++) {
            orphans += !vdb_hnsw_is_dead(&graph, node) && node != graph.entry && in[node] == 0;
            miscounted += atomic_load(&graph.in_links0[node]) != in[node];
        }
        vdb_hnsw_destroy(&graph);
        vdb_store_destroy(&store);
    }
    cr_expect_eq(orphans, 0, "%d live nodes without a level-0 in-link after repairs of 8 graphs", orphans);
    cr_expect_eq(miscounted, 0, "%d in-link counts differ from the blocks", miscounted);
    free(rows);
}
