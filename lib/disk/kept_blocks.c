#include "disk/kept_blocks.h"

#include "vdb.h"

#include <stdlib.h>
#include <string.h>

int vdb_kept_blocks_init(vdb_kept_blocks *kept, uint32_t block_bytes)
{
    memset(kept, 0, sizeof *kept);
    kept->blocks = malloc((size_t)VDB_KEPT_BLOCKS * block_bytes);
    kept->block_bytes = block_bytes;
    return kept->blocks ? VDB_OK : VDB_ENOMEM;
}

void vdb_kept_blocks_destroy(vdb_kept_blocks *kept)
{
    free(kept->blocks);
    memset(kept, 0, sizeof *kept);
}

void vdb_kept_blocks_keep(vdb_kept_blocks *kept, uint32_t node, const unsigned char *block)
{
    if (vdb_kept_blocks_find(kept, node))
        return;
    uint32_t slot = kept->oldest;
    kept->oldest = (slot + 1) % VDB_KEPT_BLOCKS;
    memcpy(kept->blocks + (uint64_t)slot * kept->block_bytes, block, kept->block_bytes);
    kept->node_plus_one[slot] = node + 1;
}
