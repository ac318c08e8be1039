/*
 * The scratch pool: a mutex-guarded free list. Scratch grows (never shrinks)
 * to the largest index it has served.
 */
#include "util/visited.h"

#include <stdlib.h>
#include <string.h>

void vdb_scratch_pool_init(vdb_scratch_pool *pool)
{
    pthread_mutex_init(&pool->lock, NULL);
    pool->free_list = NULL;
}

static void scratch_free(vdb_scratch *scratch)
{
    free(scratch->tags);
    free(scratch->neighbors);
    vdb_heap_free(&scratch->candidates);
    vdb_heap_free(&scratch->results);
    free(scratch);
}

void vdb_scratch_pool_destroy(vdb_scratch_pool *pool)
{
    while (pool->free_list) {
        vdb_scratch *next = pool->free_list->next_free;
        scratch_free(pool->free_list);
        pool->free_list = next;
    }
    pthread_mutex_destroy(&pool->lock);
}

static int scratch_fit(vdb_scratch *scratch, uint32_t nodes, uint32_t links)
{
    if (nodes > scratch->tag_capacity) {
        uint32_t capacity = nodes + nodes / 4 + 64 < nodes ? nodes : nodes + nodes / 4 + 64;
        uint16_t *tags = calloc(capacity, sizeof *tags);
        if (!tags)
            return 0;
        free(scratch->tags);
        scratch->tags = tags;
        scratch->tag_capacity = capacity;
        scratch->epoch = 0;
    }
    if (links > scratch->neighbor_capacity) {
        uint32_t *neighbors = realloc(scratch->neighbors, sizeof *neighbors * links);
        if (!neighbors)
            return 0;
        scratch->neighbors = neighbors;
        scratch->neighbor_capacity = links;
    }
    return vdb_heap_reserve(&scratch->candidates, 256) && vdb_heap_reserve(&scratch->results, 256);
}

vdb_scratch *vdb_scratch_acquire(vdb_scratch_pool *pool, uint32_t nodes, uint32_t links)
{
    pthread_mutex_lock(&pool->lock);
    vdb_scratch *scratch = pool->free_list;
    if (scratch)
        pool->free_list = scratch->next_free;
    pthread_mutex_unlock(&pool->lock);

    if (!scratch && !(scratch = calloc(1, sizeof *scratch)))
        return NULL;
    if (!scratch_fit(scratch, nodes, links)) {
        vdb_scratch_release(pool, scratch);
        return NULL;
    }
    return scratch;
}

void vdb_scratch_release(vdb_scratch_pool *pool, vdb_scratch *scratch)
{
    if (!scratch)
        return;
    pthread_mutex_lock(&pool->lock);
    scratch->next_free = pool->free_list;
    pool->free_list = scratch;
    pthread_mutex_unlock(&pool->lock);
}
