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

/*
 * Place a link that must stay: in a free slot, or in place of the farthest
 * chosen link (chosen runs nearest first) whose target can lose it. The
 * `placed` links at the end are ones placed this way and stay too.
 */
static void keep(vdb_hnsw *graph, uint32_t *chosen, uint32_t *count, uint32_t *placed, uint32_t node)
{
    if (*count < graph->m0) {
        chosen[(*count)++] = node;
        (*placed)++;
        return;
    }
    for (uint32_t i = *count - *placed; i-- > 0;)
        if (drop_in_link(graph, chosen[i])) {
            memmove(chosen + i, chosen + i + 1, sizeof *chosen * (*count - i - 1));
            chosen[*count - 1] = node;
            (*placed)++;
            return;
        }
    /* Every link here is some node's last: the node loses this one. Only a block of m0 such nodes can do this. */
}

uint32_t vdb_hnsw_settle_links(vdb_hnsw *graph, const uint32_t *old, uint32_t old_count, uint32_t *chosen,
                               uint32_t count, uint32_t newcomer)
{
    for (uint32_t i = 0; i < count; i++)
        if (!holds(old, old_count, chosen[i]))
            vdb_hnsw_add_in_link(graph, chosen[i]);
    uint32_t placed = 0;
    for (uint32_t i = 0; i < old_count; i++)
        if (!holds(chosen, count, old[i]) && !drop_in_link(graph, old[i]))
            keep(graph, chosen, &count, &placed, old[i]);
    if (newcomer != VDB_NO_NODE && !holds(chosen, count, newcomer) &&
        atomic_load_explicit(&graph->in_links0[newcomer], memory_order_relaxed) == 0) {
        keep(graph, chosen, &count, &placed, newcomer);
        if (holds(chosen, count, newcomer))
            vdb_hnsw_add_in_link(graph, newcomer);
    }
    return count;
}
