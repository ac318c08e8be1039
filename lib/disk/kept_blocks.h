/*
 * Blocks a search has read but not used: the rest of a read unit (a 4 KiB
 * page holds two 2 KiB blocks, and the file's order puts nodes that are
 * near in space next to each other, so the other one is often a node the
 * walk expands soon), and blocks read ahead for nodes the walk then passed
 * by, which it may still come back to. A session keeps the most recent
 * few, so that such a node costs no second read. The index is read-only
 * while searched, so a kept block stays right from one search to the next.
 */
#ifndef VDB_KEPT_BLOCKS_H
#define VDB_KEPT_BLOCKS_H

#include <stdint.h>

enum { VDB_KEPT_BLOCKS = 64 };

typedef struct vdb_kept_blocks {
    unsigned char *blocks;                   /* VDB_KEPT_BLOCKS of block_bytes */
    uint32_t node_plus_one[VDB_KEPT_BLOCKS]; /* 0: empty */
    uint32_t oldest;                         /* the slot the next block replaces */
    uint32_t block_bytes;
} vdb_kept_blocks;

/* Room for VDB_KEPT_BLOCKS blocks of block_bytes, none kept: VDB_OK or VDB_ENOMEM. */
int vdb_kept_blocks_init(vdb_kept_blocks *kept, uint32_t block_bytes);
void vdb_kept_blocks_destroy(vdb_kept_blocks *kept);

/* node's kept block, or NULL. */
static inline const unsigned char *vdb_kept_blocks_find(const vdb_kept_blocks *kept, uint32_t node)
{
    for (uint32_t slot = 0; slot < VDB_KEPT_BLOCKS; slot++)
        if (kept->node_plus_one[slot] == node + 1)
            return kept->blocks + (uint64_t)slot * kept->block_bytes;
    return 0;
}

/* Keep a copy of node's block in place of the oldest, unless node's is kept already. */
void vdb_kept_blocks_keep(vdb_kept_blocks *kept, uint32_t node, const unsigned char *block);

#endif
