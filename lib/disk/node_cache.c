#include "disk/node_cache.h"

#include "vdb.h"

#include <stdlib.h>
#include <string.h>

int vdb_node_cache_init(vdb_node_cache *cache, uint32_t capacity, uint32_t block_bytes)
{
    memset(cache, 0, sizeof *cache);
    if (capacity == 0)
        return VDB_OK;
    uint64_t slots = 2;
    while (slots < 2ull * capacity)
        slots *= 2;
    cache->slots = calloc(slots, sizeof *cache->slots);
    cache->blocks = malloc((size_t)capacity * block_bytes);
    if (!cache->slots || !cache->blocks) {
        vdb_node_cache_destroy(cache);
        return VDB_ENOMEM;
    }
    cache->mask = (uint32_t)(slots - 1);
    cache->block_bytes = block_bytes;
    cache->capacity = capacity;
    return VDB_OK;
}

void vdb_node_cache_destroy(vdb_node_cache *cache)
{
    free(cache->slots);
    free(cache->blocks);
    memset(cache, 0, sizeof *cache);
}

void vdb_node_cache_insert(vdb_node_cache *cache, uint32_t node)
{
    uint32_t at = vdb_node_cache_hash(node) & cache->mask;
    while (cache->slots[at].node_plus_one != 0)
        at = (at + 1) & cache->mask;
    cache->slots[at] = (vdb_node_cache_slot){node + 1, cache->count++};
}
