/*
 * Level-0 in-links: every live node keeps at least one. A search reaches a
 * node only through a link to it, and HNSW's pruning may drop any link: a
 * neighbour whose block is full re-chooses its links and can drop a node's
 * last in-link, most easily a node inserted in parallel whose view of the
 * graph was stale. A node with no in-link can never be found again, not
 * even by a search for its own vector. So each owned graph counts every
 * node's level-0 in-links, and a change that would drop the last one keeps
 * that link instead (in a free slot, or in place of the farthest link whose
 * target has others).
 */
#ifndef VDB_GRAPH_IN_LINKS_H
#define VDB_GRAPH_IN_LINKS_H

#include "graph/graph.h"

/* Count every node's level-0 in-links from scratch (after links were copied or repaired). */
void vdb_hnsw_count_in_links(vdb_hnsw *graph);

/*
 * Replace the level-0 block of a node, whose links were old[0 .. old_count),
 * by chosen[0 .. count) (up to limit), keeping the counts and every live
 * node's last in-link. `newcomer`, if not VDB_NO_NODE, is a node not in old
 * that is offered a link (a back-link being added). The caller holds the
 * node's lock. Returns the new count; chosen holds the links.
 */
uint32_t vdb_hnsw_settle_links(vdb_hnsw *graph, const uint32_t *old, uint32_t old_count, uint32_t *chosen,
                               uint32_t count, uint32_t newcomer);

/* One more level-0 in-link to target. */
static inline void vdb_hnsw_add_in_link(vdb_hnsw *graph, uint32_t target)
{
    atomic_fetch_add_explicit(&graph->in_links0[target], 1, memory_order_relaxed);
}

#endif
