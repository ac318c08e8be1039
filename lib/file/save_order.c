#include "file/save_order.h"

#include <stdlib.h>

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

/* Depth first from each root in turn, children in ascending order; returns the nodes written. */
static uint32_t walk_tree(const uint32_t *parents, uint32_t count, const uint32_t *first, const uint32_t *children,
                          uint32_t *stack, uint32_t *order)
{
    uint32_t written = 0;
    for (uint32_t root = 0; root < count; root++) {
        if (parents[root] < count)
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
    uint32_t *rank = malloc(sizeof *rank * count);
    if (first && children && stack && order && rank) {
        list_children(graph->parents, count, first, children, rank);
        /* A node missing from the walk would mean a cycle, which parents one level up cannot make; keep node order
         * then. */
        if (walk_tree(graph->parents, count, first, children, stack, order) == count) {
            for (uint32_t i = 0; i < count; i++)
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
}

void vdb_save_order_free(vdb_save_order *order)
{
    free(order->order);
    free(order->rank);
    *order = (vdb_save_order){0};
}
