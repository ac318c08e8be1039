/*
 * The parent tree is walked with explicit stacks, children in ascending
 * node order, so the order depends on the graph alone. Deleted nodes are
 * left out: a live node under a deleted parent hangs from its nearest live
 * ancestor instead.
 */
#include "file/save_order.h"

#include <stdlib.h>

/* Each live node's parent in the tree of live nodes: its nearest live ancestor, or none. */
static void live_parents(const vdb_hnsw *graph, uint32_t *parents)
{
    uint32_t count = graph->count;
    for (uint32_t node = 0; node < count; node++) {
        uint32_t parent = graph->parents[node];
        while (parent < count && vdb_hnsw_is_dead(graph, parent))
            parent = graph->parents[parent];
        parents[node] = vdb_hnsw_is_dead(graph, node) ? VDB_NO_NODE : parent;
    }
}

/* Each node's children in ascending order: children[first[p] .. first[p + 1]) (a counting sort). */
static void list_children(const uint32_t *parents, uint32_t count, uint32_t *first, uint32_t *children,
                          uint32_t *cursor)
{
    for (uint32_t node = 0; node < count; node++)
        if (parents[node] < count)
            first[parents[node] + 1]++;
    for (uint32_t node = 0; node < count; node++)
        first[node + 1] += first[node];
    for (uint32_t node = 0; node < count; node++)
        cursor[node] = first[node];
    for (uint32_t node = 0; node < count; node++)
        if (parents[node] < count)
            children[cursor[parents[node]]++] = node;
}

/* Depth first from each live root in turn, children in ascending order; returns the nodes written. */
static uint32_t walk_tree(const vdb_hnsw *graph, const uint32_t *parents, const uint32_t *first,
                          const uint32_t *children, uint32_t *stack, uint32_t *order)
{
    uint32_t written = 0, count = graph->count;
    for (uint32_t root = 0; root < count; root++) {
        if (parents[root] < count || vdb_hnsw_is_dead(graph, root))
            continue;
        uint32_t depth = 0;
        stack[depth++] = root;
        while (depth > 0) { /* every node is pushed once, by its parent: the stack never holds more than count */
            uint32_t node = stack[--depth];
            order[written++] = node;
            for (uint32_t child = first[node + 1]; child-- > first[node];)
                stack[depth++] = children[child];
        }
    }
    return written;
}

void vdb_save_order_make(const vdb_hnsw *graph, vdb_save_order *out)
{
    *out = (vdb_save_order){0};
    uint32_t count = graph->count;
    if (!graph->parents || count < 2)
        return;
    uint32_t *first = calloc((size_t)count + 1, sizeof *first), *children = malloc(sizeof *children * count);
    uint32_t *stack = malloc(sizeof *stack * count), *order = malloc(sizeof *order * count);
    uint32_t *rank = malloc(sizeof *rank * count), *parents = malloc(sizeof *parents * count);
    if (first && children && stack && order && rank && parents) {
        live_parents(graph, parents);
        list_children(parents, count, first, children, rank);
        /* A node missing from the walk would mean a cycle, which parents one level up cannot make; keep node order
         * then. */
        if (walk_tree(graph, parents, first, children, stack, order) == vdb_hnsw_live(graph)) {
            for (uint32_t i = 0; i < vdb_hnsw_live(graph); i++)
                rank[order[i]] = i;
            *out = (vdb_save_order){order, rank};
            order = rank = NULL;
        }
    }
    free(first);
    free(children);
    free(stack);
    free(order);
    free(rank);
    free(parents);
}

void vdb_save_order_free(vdb_save_order *order)
{
    free(order->order);
    free(order->rank);
    *order = (vdb_save_order){0};
}
