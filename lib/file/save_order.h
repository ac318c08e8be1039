/*
 * The order a saved file lists its nodes in. A search reads the rows of
 * nodes near each other in space; in insertion order those rows are spread
 * over the whole file, so a search over a file larger than memory reads a
 * page for nearly every row it touches. While inserting, each node keeps
 * the node one level up that its greedy descent ended at, its parent, which
 * makes a tree of nested regions of space; a file written in depth-first
 * order of that tree keeps each region in one run of pages. The graph is
 * only renumbered, so searches give the same answers either way.
 */
#ifndef VDB_SAVE_ORDER_H
#define VDB_SAVE_ORDER_H

#include "graph/graph.h"

typedef struct vdb_save_order {
    uint32_t *order; /* order[i]: the node written i-th */
    uint32_t *rank;  /* rank[node]: where node is written */
} vdb_save_order;

/*
 * The depth-first order of the graph's parent tree over its live nodes. Both
 * arrays NULL (node order) when the graph has no parents (a file opened
 * read-only, which has no deleted nodes either) or memory is short, since
 * the order is worth having but not worth failing a save for; a graph with
 * deleted nodes must then not be saved.
 */
void vdb_save_order_make(const vdb_hnsw *graph, vdb_save_order *order);
void vdb_save_order_free(vdb_save_order *order);

static inline uint32_t vdb_save_order_node(const vdb_save_order *order, uint32_t i)
{
    return order->order ? order->order[i] : i;
}

static inline uint32_t vdb_save_order_rank(const vdb_save_order *order, uint32_t node)
{
    return order->rank ? order->rank[node] : node;
}

#endif
