/*
 * Below the API: the two small sets a disk-resident walk keeps in its
 * session (lib/disk/visited_set.h, lib/disk/kept_blocks.h), against plain
 * references: a visited set against a bitmap over every node, through its
 * growth and the shrink after a wide search; kept blocks keep the newest
 * VDB_KEPT_BLOCKS, each with its own bytes.
 */
#include "disk/kept_blocks.h"
#include "disk/visited_set.h"
#include "util/random.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdlib.h>
#include <string.h>

enum { NODES = 1u << 20 };

/* Add `adds` random nodes below `range`; each answer must be the bitmap's. */
static void add_against_bitmap(vdb_visited_set *set, unsigned char *seen, uint32_t adds, uint32_t range, uint64_t seed)
{
    uint64_t state = seed;
    for (uint32_t i = 0; i < adds; i++) {
        uint32_t node = (uint32_t)(vdb_next_random(&state) % range);
        int answer = vdb_visited_set_add(set, node);
        cr_assert_eq(answer, seen[node], "node %u: the set said %d, the bitmap %d", node, answer, seen[node]);
        seen[node] = 1;
    }
}

Test(walk_sets, visited_set_answers_as_a_bitmap_through_growth_and_clearing)
{
    vdb_visited_set set = {0};
    unsigned char *seen = calloc(NODES, 1);
    cr_assert_eq(vdb_visited_set_clear(&set, 16), VDB_OK);
    add_against_bitmap(&set, seen, 200000, NODES, 1); /* far past the room it was given: it grows */
    cr_expect_geq((uint64_t)set.mask + 1, 2ull * set.count, "at most half full");

    /* A new search sees nothing. It has room for as many as the last search saw, and after a narrow search the set
     * shrinks back. */
    uint32_t wide = set.count;
    cr_assert_eq(vdb_visited_set_clear(&set, 100), VDB_OK);
    cr_expect_eq(set.count, 0);
    cr_expect_geq((uint64_t)set.mask + 1, 2ull * wide, "room for the %u nodes the last search saw", wide);
    cr_assert_eq(vdb_visited_set_clear(&set, 100), VDB_OK); /* after a search that saw none */
    cr_expect_leq(set.mask + 1, 256u, "cleared for 100 nodes, it has %u slots", set.mask + 1);
    memset(seen, 0, NODES);
    add_against_bitmap(&set, seen, 3000, 5000, 2); /* many repeats */
    cr_expect_eq(vdb_visited_set_add(&set, NODES - 1), 0, "the last node");
    cr_expect_eq(vdb_visited_set_add(&set, 0), seen[0], "node 0");
    vdb_visited_set_destroy(&set);
    free(seen);
}

/* A block of `bytes` filled from node's number, so that one node's block can be told from another's. */
static void fill_block(unsigned char *block, uint32_t bytes, uint32_t node)
{
    for (uint32_t i = 0; i < bytes; i++)
        block[i] = (unsigned char)(node * 31 + i);
}

Test(walk_sets, kept_blocks_keep_the_newest_with_their_bytes)
{
    enum { BYTES = 2048, KEPT = VDB_KEPT_BLOCKS, MORE = KEPT + KEPT / 2 };
    vdb_kept_blocks kept;
    cr_assert_eq(vdb_kept_blocks_init(&kept, BYTES), VDB_OK);
    unsigned char block[BYTES], expected[BYTES];
    cr_expect_null(vdb_kept_blocks_find(&kept, 0), "nothing is kept at first, node 0 included");
    for (uint32_t node = 0; node < MORE; node++) {
        fill_block(block, BYTES, node * 7);
        vdb_kept_blocks_keep(&kept, node * 7, block);
        vdb_kept_blocks_keep(&kept, node * 7, block); /* once only: it takes no second slot */
    }
    for (uint32_t node = 0; node < MORE; node++) {
        const unsigned char *found = vdb_kept_blocks_find(&kept, node * 7);
        if (node < MORE - KEPT) {
            cr_expect_null(found, "node %u was among the oldest, and replaced", node * 7);
            continue;
        }
        cr_assert_not_null(found, "node %u is among the newest %d", node * 7, KEPT);
        fill_block(expected, BYTES, node * 7);
        cr_expect_arr_eq(found, expected, BYTES, "node %u's bytes", node * 7);
    }
    vdb_kept_blocks_destroy(&kept);
}
