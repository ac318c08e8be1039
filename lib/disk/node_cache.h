/*
 * The node blocks a disk-resident index keeps in memory, so that the nodes
 * nearly every search passes through cost no read: a fixed set chosen when
 * the cache is filled (disk/disk_index.h), then only looked up, so any
 * number of searches read it at once without a lock. An open-addressing
 * table maps a node to its copy of the block.
 */
#ifndef VDB_NODE_CACHE_H
#define VDB_NODE_CACHE_H

#include <stdint.h>

typedef struct vdb_node_cache_slot {
    uint32_t node_plus_one; /* 0: empty */
    uint32_t block;         /* which of `blocks` */
} vdb_node_cache_slot;

typedef struct vdb_node_cache {
    vdb_node_cache_slot *slots; /* a power of two of them, at most half full */
    uint32_t mask;
    unsigned char *blocks; /* count blocks of block_bytes */
    uint32_t block_bytes;
    uint32_t count;
    uint32_t capacity; /* blocks there is room for */
} vdb_node_cache;

/* An empty cache with room for `capacity` blocks of block_bytes each: VDB_OK or VDB_ENOMEM (then empty). */
int vdb_node_cache_init(vdb_node_cache *cache, uint32_t capacity, uint32_t block_bytes);
void vdb_node_cache_destroy(vdb_node_cache *cache);

/* Where a new node's block goes; call vdb_node_cache_insert once it holds the block. count < capacity. */
static inline unsigned char *vdb_node_cache_next(vdb_node_cache *cache)
{
    return cache->blocks + (uint64_t)cache->count * cache->block_bytes;
}

/* Enter the block vdb_node_cache_next gave as node's (a node not in the cache). */
void vdb_node_cache_insert(vdb_node_cache *cache, uint32_t node);

static inline uint32_t vdb_node_cache_hash(uint32_t node) { return node * 0x9E3779B1u; }

/* The cached block of node, or NULL. */
static inline const unsigned char *vdb_node_cache_find(const vdb_node_cache *cache, uint32_t node)
{
    if (cache->count == 0)
        return 0;
    for (uint32_t at = vdb_node_cache_hash(node) & cache->mask;; at = (at + 1) & cache->mask) {
        vdb_node_cache_slot slot = cache->slots[at];
        if (slot.node_plus_one == node + 1)
            return cache->blocks + (uint64_t)slot.block * cache->block_bytes;
        if (slot.node_plus_one == 0)
            return 0;
    }
}

#endif
