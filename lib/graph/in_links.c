/*
 * The counts are atomic, since blocks are changed under their own node's
 * lock while any number of them may gain or lose a link to the same node.
 * A link is dropped with a compare-and-swap that refuses to take a live
 * node's count below one, so two blocks dropping a node's last two in-links
 * at once cannot both succeed.
 */
#include "graph/in_links.h"

#include <stdlib.h>
#include <string.h>

void vdb_hnsw_count_in_links(vdb_hnsw *graph)
{
    for (uint32_t node = 0; node < graph->capacity; node++)
        atomic_store_explicit(&graph->in_links0[node], 0, memory_order_relaxed);
    for (uint32_t node = 0; node < graph->count; node++) {
        const uint32_t *block = vdb_hnsw_links0(graph, node);
        for (uint32_t i = 0; i < block[0] && i < graph->m0; i++)
            if (block[1 + i] < graph->count)
                vdb_hnsw_add_in_link(graph, block[1 + i]);
    }
}

/* Drop one in-link of target: 1 when done, 0 when it was a live node's last (the link must stay). */
static int drop_in_link(vdb_hnsw *graph, uint32_t target)
{
    atomic_uint *links = &graph->in_links0[target];
    unsigned now = atomic_load_explicit(links, memory_order_relaxed);
    int dead = vdb_hnsw_is_dead(graph, target);
    do {
        if (now <= 1 && !dead)
            return 0;
    } while (!atomic_compare_exchange_weak_explicit(links, &now, now ? now - 1 : 0, memory_order_relaxed,
                                                    memory_order_relaxed));
    return 1;
}

static int holds(const uint32_t *links, uint32_t count, uint32_t node)
{
    for (uint32_t i = 0; i < count; i++)
        if (links[i] == node)
            return 1;
    return 0;
}

/* Whether chosen link `link` can make way: a new one, not yet counted, or an old one whose target has others. */
static int can_go(vdb_hnsw *graph, const uint32_t *old, uint32_t old_count, uint32_t link)
{
    return !holds(old, old_count, link) || drop_in_link(graph, link);
}

/*
 * Place a link that must stay: in a free slot, or in place of the farthest
 * chosen link (chosen runs nearest first) that can go. The `placed` links at
 * the end were placed this way and stay.
 */
static void keep(vdb_hnsw *graph, const uint32_t *old, uint32_t old_count, uint32_t *chosen, uint32_t *count,
                 uint32_t *placed, uint32_t node)
{
    if (*count == graph->m0) {
        uint32_t after = *count - *placed; /* chosen[after - 1] is the one to go */
        while (after > 0 && !can_go(graph, old, old_count, chosen[after - 1]))
            after--;
        if (after == 0)
            return; /* a full block of old links, each some node's last: see below */
        memmove(chosen + after - 1, chosen + after, sizeof *chosen * (*count - after));
        (*count)--;
    }
    chosen[(*count)++] = node;
    (*placed)++;
}

/*
 * The old links that leave are listed before any is kept: keeping one may
 * push out another old link, whose in-link that drops, and which must not
 * then be dropped again as leaving. New links are counted last: until then
 * one can make way for a link that must stay at no cost. So an old link
 * always finds a place (the block held it and all the other old links that
 * stay). Only the newcomer can find none, in a full block of old links each
 * some node's last; its other neighbours, which it also asks for a
 * back-link, may still take it.
 */
uint32_t vdb_hnsw_settle_links(vdb_hnsw *graph, const uint32_t *old, uint32_t old_count, uint32_t *chosen,
                               uint32_t count, uint32_t newcomer)
{
    uint32_t leaving[VDB_MAX_M0], leaving_count = 0, placed = 0;
    for (uint32_t i = 0; i < old_count; i++)
        if (!holds(chosen, count, old[i]))
            leaving[leaving_count++] = old[i];
    for (uint32_t i = 0; i < leaving_count; i++)
        if (!drop_in_link(graph, leaving[i]))
            keep(graph, old, old_count, chosen, &count, &placed, leaving[i]);
    if (newcomer != VDB_NO_NODE && !holds(chosen, count, newcomer) &&
        atomic_load_explicit(&graph->in_links0[newcomer], memory_order_relaxed) == 0)
        keep(graph, old, old_count, chosen, &count, &placed, newcomer);
    for (uint32_t i = 0; i < count; i++)
        if (!holds(old, old_count, chosen[i]))
            vdb_hnsw_add_in_link(graph, chosen[i]);
    return count;
}
