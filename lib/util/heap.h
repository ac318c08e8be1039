/*
 * Binary heaps of (distance, node) pairs for the beam search: a min-heap of
 * candidates to expand and a max-heap of the best results so far. Storage
 * is reserved before a search starts, so a push never allocates and never
 * fails; what may grow (the candidates of a filtered search) is grown by the
 * search itself, which reports VDB_ENOMEM.
 */
#ifndef VDB_HEAP_H
#define VDB_HEAP_H

#include "vdb.h"

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

/* Room for `capacity` items: VDB_OK or VDB_ENOMEM (and the heap is unchanged). */
static inline int vdb_heap_reserve(vdb_heap *heap, uint32_t capacity)
{
    if (capacity <= heap->capacity)
        return VDB_OK;
    vdb_candidate *items = realloc(heap->items, sizeof *items * capacity);
    if (!items)
        return VDB_ENOMEM;
    heap->items = items;
    heap->capacity = capacity;
    return VDB_OK;
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

static inline void vdb_heap_sift_up(vdb_heap *heap, uint32_t at, vdb_candidate item, int max)
{
    while (at > 0) {
        uint32_t parent = (at - 1) / 2;
        if (!vdb_heap_above(item, heap->items[parent], max))
            break;
        heap->items[at] = heap->items[parent];
        at = parent;
    }
    heap->items[at] = item;
}

/* Push into a heap with room (size < capacity, which the caller made sure of). */
static inline void vdb_heap_push(vdb_heap *heap, vdb_candidate item, int max)
{
    vdb_heap_sift_up(heap, heap->size++, item, max);
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

/* Remove every item farther than `limit` from a min-heap, keeping the rest a heap. */
static inline void vdb_heap_drop_beyond(vdb_heap *heap, float limit)
{
    uint32_t size = heap->size;
    heap->size = 0; /* rebuilt in place: item i moves to a slot at or before i, after i was read */
    for (uint32_t i = 0; i < size; i++)
        if (!(heap->items[i].distance > limit))
            vdb_heap_sift_up(heap, heap->size++, heap->items[i], 0);
}

/* Sort a short list nearest first (insertion sort: fastest for a block of links). */
static inline void vdb_candidates_sort(vdb_candidate *items, uint32_t count)
{
    for (uint32_t i = 1; i < count; i++) {
        vdb_candidate item = items[i];
        uint32_t j = i;
        for (; j > 0 && items[j - 1].distance > item.distance; j--)
            items[j] = items[j - 1];
        items[j] = item;
    }
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
