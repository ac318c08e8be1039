/*
 * The scratch pool: a mutex-guarded free list. Scratch grows (never shrinks)
 * to the largest index it has served.
 */
#include "util/scratch.h"

#include "vdb.h"

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
    free(scratch->query_weights);
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

static int scratch_fit(vdb_scratch *scratch, vdb_scratch_size size)
{
    if (size.nodes > scratch->tag_capacity) {
        uint32_t capacity =
            size.nodes + size.nodes / 4 + 64 < size.nodes ? size.nodes : size.nodes + size.nodes / 4 + 64;
        uint16_t *tags = calloc(capacity, sizeof *tags);
        if (!tags)
            return VDB_ENOMEM;
        free(scratch->tags);
        scratch->tags = tags;
        scratch->tag_capacity = capacity;
        scratch->epoch = 0;
    }
    if (size.links > scratch->neighbor_capacity) {
        uint32_t *neighbors = realloc(scratch->neighbors, sizeof *neighbors * size.links);
        if (!neighbors)
            return VDB_ENOMEM;
        scratch->neighbors = neighbors;
        scratch->neighbor_capacity = size.links;
    }
    if (size.query_floats > scratch->weight_capacity) {
        float *weights = realloc(scratch->query_weights, sizeof *weights * size.query_floats);
        if (!weights)
            return VDB_ENOMEM;
        scratch->query_weights = weights;
        scratch->weight_capacity = size.query_floats;
    }
    uint64_t results = (uint64_t)size.ef + size.links + 1;
    if (2 * results > UINT32_MAX)
        return VDB_ENOMEM;
    int code = vdb_heap_reserve(&scratch->results, (uint32_t)results);
    return code != VDB_OK ? code : vdb_heap_reserve(&scratch->candidates, (uint32_t)(2 * results));
}

int vdb_scratch_acquire(vdb_scratch_pool *pool, vdb_scratch_size size, vdb_scratch **out)
{
    pthread_mutex_lock(&pool->lock);
    vdb_scratch *scratch = pool->free_list;
    if (scratch)
        pool->free_list = scratch->next_free;
    pthread_mutex_unlock(&pool->lock);

    if (!scratch && !(scratch = calloc(1, sizeof *scratch)))
        return VDB_ENOMEM;
    int code = scratch_fit(scratch, size);
    if (code != VDB_OK) {
        vdb_scratch_release(pool, scratch);
        return code;
    }
    *out = scratch;
    return VDB_OK;
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
