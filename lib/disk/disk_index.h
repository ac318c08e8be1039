/*
 * The disk-resident side of an index opened with VDB_OPEN_DISK. The node
 * blocks (each node's vector and level-0 links, file/format_header.h) stay
 * on the disk and are read directly, bypassing the page cache, a few at a
 * time per search (disk/disk_search.h); the codes and upper levels, which
 * every search reads, stay in memory, as does a cache of the blocks of the
 * nodes nearly every search passes through. Memory is then the codes plus
 * the cache, whatever the file's size.
 *
 * Each searching thread takes a session: a block reader (io_uring, or
 * pread on threads where io_uring is refused) and aligned buffers for the
 * reads it has in flight. Sessions are pooled, as scratch is, so a steady
 * search allocates nothing.
 */
#ifndef VDB_DISK_INDEX_H
#define VDB_DISK_INDEX_H

#include "disk/block_reader.h"
#include "disk/kept_blocks.h"
#include "disk/node_cache.h"
#include "disk/visited_set.h"
#include "graph/graph.h"

#include <pthread.h>
#include <stdint.h>

/* Reads one search can have in flight at most: a session's buffers. */
enum { VDB_DISK_MAX_READS = 32 };

/* A read unit: direct reads need whole aligned pages; a block of 4 KiB or less lies inside one. */
enum { VDB_DISK_PAGE = 4096 };

typedef struct vdb_disk_session {
    vdb_block_reader *reader;
    unsigned char *buffers;                    /* VDB_DISK_MAX_READS read units */
    uint32_t free_buffers[VDB_DISK_MAX_READS]; /* a stack of buffer numbers */
    uint32_t free_count;
    uint32_t buffer_node[VDB_DISK_MAX_READS]; /* the node each busy buffer is reading or holds */
    uint32_t busy[VDB_DISK_MAX_READS];        /* the buffers in use */
    uint32_t busy_count;
    vdb_kept_blocks kept;    /* blocks read and not used yet */
    vdb_visited_set visited; /* the nodes the search has seen */
    void *lists;             /* a search's candidates and results (disk/disk_search.c) */
    uint32_t list_capacity;
    struct vdb_disk_session *next_free;
} vdb_disk_session;

typedef struct vdb_disk {
    int fd;                 /* the index file, opened for direct reads where the filesystem allows them */
    uint64_t blocks_offset; /* where node 0's block starts in the file (a multiple of 4096) */
    uint32_t block_bytes;   /* B: a power of two up to 4096, or whole pages */
    uint32_t read_bytes;    /* one read: the page holding a block, or the block's pages */
    vdb_reader_mode reader_mode;
    vdb_node_cache cache;
    pthread_mutex_t lock; /* guards free_sessions */
    vdb_disk_session *free_sessions;
} vdb_disk;

/* Open path for reading node blocks of block_bytes from blocks_offset. VDB_OK, VDB_EIO or VDB_ENOMEM (message set). */
int vdb_disk_open(vdb_disk *disk, const char *path, uint64_t blocks_offset, uint32_t block_bytes);
void vdb_disk_close(vdb_disk *disk);

/* The file offset of the read unit holding node's block, and where in the unit the block starts. */
static inline uint64_t vdb_disk_unit_offset(const vdb_disk *disk, uint32_t node, uint32_t *block_at)
{
    uint64_t block = disk->blocks_offset + (uint64_t)node * disk->block_bytes;
    uint64_t unit = block / VDB_DISK_PAGE * VDB_DISK_PAGE;
    *block_at = (uint32_t)(block - unit);
    return unit;
}

/* A session for one search: VDB_OK, VDB_ENOMEM or VDB_EIO (message set). Give it back with vdb_disk_release. */
int vdb_disk_acquire(vdb_disk *disk, vdb_disk_session **out);
void vdb_disk_release(vdb_disk *disk, vdb_disk_session *session);

/* After a failed read: wait out the session's other reads and free all its buffers, ready for the next search. */
void vdb_disk_session_drain(vdb_disk_session *session);

/*
 * Keep the blocks of up to `bytes` worth of nodes in memory: the nodes of
 * the graph's top levels first, where every search starts, then down the
 * levels. Replaces the cache there was (bytes 0 empties it). Reads the
 * blocks now, many at once. VDB_OK, VDB_ENOMEM or VDB_EIO (message set);
 * on failure the cache is empty. No search may run meanwhile.
 */
int vdb_disk_set_cache(vdb_disk *disk, const vdb_hnsw *graph, uint64_t bytes);

#endif
