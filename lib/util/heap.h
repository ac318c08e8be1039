/*
 * Binary heaps of (distance, node) pairs for the beam search: a min-heap of
 * candidates to expand and a max-heap of the best results so far. Storage is
 * reused across searches; a push that cannot grow the storage is dropped.
 */
#ifndef VDB_HEAP_H
#define VDB_HEAP_H

#include <stdint.h>
#include <stdlib.h>

typedef struct vdb_candidate {
    float distance;
    uint32_t node;
} vdb_candidate;

typedef struct vdb_heap {
    vdb_candidate *items;
    uint32_t size;
    uint32_t capacity;
} vdb_heap;

static inline int vdb_heap_reserve(vdb_heap *heap, uint32_t capacity)
{
    if (capacity <= heap->capacity)
        return 1;
    vdb_candidate *items = realloc(heap->items, sizeof *items * capacity);
    if (!items)
        return 0;
    heap->items = items;
    heap->capacity = capacity;
    return 1;
}

static inline void vdb_heap_free(vdb_heap *heap)
{
    free(heap->items);
    *heap = (vdb_heap){0};
}

/* `max` selects the ordering: 1 = largest distance on top, 0 = smallest. */
static inline int vdb_heap_above(vdb_candidate a, vdb_candidate b, int max)
{
    return max ? a.distance > b.distance : a.distance < b.distance;
}

static inline void vdb_heap_push(vdb_heap *heap, vdb_candidate item, int max)
{
    if (heap->size == heap->capacity && !vdb_heap_reserve(heap, heap->capacity ? heap->capacity * 2 : 64))
        return;
    uint32_t at = heap->size++;
    while (at > 0) {
        uint32_t parent = (at - 1) / 2;
        if (!vdb_heap_above(item, heap->items[parent], max))
            break;
        heap->items[at] = heap->items[parent];
        at = parent;
    }
    heap->items[at] = item;
}

static inline vdb_candidate vdb_heap_pop(vdb_heap *heap, int max)
{
    vdb_candidate top = heap->items[0];
    vdb_candidate last = heap->items[--heap->size];
    uint32_t at = 0, size = heap->size;
    for (;;) {
        uint32_t child = 2 * at + 1;
        if (child >= size)
            break;
        if (child + 1 < size && vdb_heap_above(heap->items[child + 1], heap->items[child], max))
            child++;
        if (!vdb_heap_above(heap->items[child], last, max))
            break;
        heap->items[at] = heap->items[child];
        at = child;
    }
    if (size > 0)
        heap->items[at] = last;
    return top;
}

/* Heap-sort a max-heap in place: afterwards items[0 .. old size) run nearest first and size is 0. */
static inline const vdb_candidate *vdb_heap_sort(vdb_heap *heap)
{
    while (heap->size > 0) {
        vdb_candidate top = vdb_heap_pop(heap, 1);
        heap->items[heap->size] = top;
    }
    return heap->items;
}

#endif
