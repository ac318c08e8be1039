#include "disk/disk_index.h"

#include "util/error.h"
#include "vdb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vdb_disk_open(vdb_disk *disk, const char *path, uint64_t blocks_offset, uint32_t block_bytes)
{
    memset(disk, 0, sizeof *disk);
    /* Direct reads skip the page cache, which would only hold blocks that are seldom read twice; where the
     * filesystem has none (tmpfs), plain reads do the same job through it. */
    disk->fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
    if (disk->fd < 0 && errno == EINVAL)
        disk->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (disk->fd < 0)
        return vdb_fail_errno("cannot open index '%s' for disk-resident search", path); /* block_bytes 0: not open */
    disk->blocks_offset = blocks_offset;
    disk->block_bytes = block_bytes;
    disk->read_bytes = block_bytes > VDB_DISK_PAGE ? block_bytes : VDB_DISK_PAGE;
    disk->reader_mode = VDB_READER_AUTO;
    pthread_mutex_init(&disk->lock, NULL);
    return VDB_OK;
}

static void session_free(vdb_disk_session *session)
{
    vdb_block_reader_destroy(session->reader);
    vdb_kept_blocks_destroy(&session->kept);
    vdb_visited_set_destroy(&session->visited);
    free(session->buffers);
    free(session->lists);
    free(session);
}

void vdb_disk_close(vdb_disk *disk)
{
    if (disk->block_bytes == 0) /* never opened */
        return;
    while (disk->free_sessions) {
        vdb_disk_session *next = disk->free_sessions->next_free;
        session_free(disk->free_sessions);
        disk->free_sessions = next;
    }
    vdb_node_cache_destroy(&disk->cache);
    pthread_mutex_destroy(&disk->lock);
    close(disk->fd);
    disk->fd = -1;
}

static int session_new(vdb_disk *disk, vdb_disk_session **out)
{
    vdb_disk_session *session = calloc(1, sizeof *session);
    if (!session)
        return vdb_fail(VDB_ENOMEM, "out of memory starting a disk-resident search");
    session->buffers = aligned_alloc(VDB_DISK_PAGE, (size_t)VDB_DISK_MAX_READS * disk->read_bytes);
    if (!session->buffers || vdb_kept_blocks_init(&session->kept, disk->block_bytes) != VDB_OK) {
        vdb_kept_blocks_destroy(&session->kept);
        free(session->buffers);
        free(session);
        return vdb_fail(VDB_ENOMEM, "out of memory starting a disk-resident search");
    }
    int code = vdb_block_reader_create(&session->reader, disk->fd, VDB_DISK_MAX_READS, disk->reader_mode);
    if (code != VDB_OK) {
        vdb_kept_blocks_destroy(&session->kept);
        free(session->buffers);
        free(session);
        return code;
    }
    for (uint32_t i = 0; i < VDB_DISK_MAX_READS; i++)
        session->free_buffers[i] = VDB_DISK_MAX_READS - 1 - i;
    session->free_count = VDB_DISK_MAX_READS;
    *out = session;
    return VDB_OK;
}

int vdb_disk_acquire(vdb_disk *disk, vdb_disk_session **out)
{
    pthread_mutex_lock(&disk->lock);
    vdb_disk_session *session = disk->free_sessions;
    if (session)
        disk->free_sessions = session->next_free;
    pthread_mutex_unlock(&disk->lock);
    if (session) {
        *out = session;
        return VDB_OK;
    }
    return session_new(disk, out);
}

void vdb_disk_session_drain(vdb_disk_session *session)
{
    uint64_t done[VDB_DISK_MAX_READS];
    while (vdb_block_reader_in_flight(session->reader) > 0)
        (void)vdb_block_reader_reap(session->reader, 1, done, VDB_DISK_MAX_READS);
    for (uint32_t i = 0; i < VDB_DISK_MAX_READS; i++)
        session->free_buffers[i] = VDB_DISK_MAX_READS - 1 - i;
    session->free_count = VDB_DISK_MAX_READS;
    session->busy_count = 0;
}

void vdb_disk_release(vdb_disk *disk, vdb_disk_session *session)
{
    pthread_mutex_lock(&disk->lock);
    session->next_free = disk->free_sessions;
    disk->free_sessions = session;
    pthread_mutex_unlock(&disk->lock);
}

/* Up to `limit` nodes, the top level's first, then each level down, in node order within a level. */
static uint32_t choose_nodes(const vdb_hnsw *graph, uint32_t *chosen, uint32_t limit)
{
    uint32_t taken = 0;
    for (uint32_t level = graph->max_level + 1; level-- > 0 && taken < limit;)
        for (uint32_t node = 0; node < graph->count && taken < limit; node++)
            if (vdb_hnsw_level(graph, node) == level)
                chosen[taken++] = node;
    return taken;
}

/* Read the chosen nodes' blocks into the cache, VDB_DISK_MAX_READS at a time. */
static int fill_cache(vdb_disk *disk, vdb_disk_session *session, const uint32_t *nodes, uint32_t count)
{
    uint32_t next = 0, in_flight = 0;
    int code = VDB_OK;
    while (next < count || in_flight > 0) {
        while (code == VDB_OK && next < count && session->free_count > 0) {
            uint32_t buffer = session->free_buffers[--session->free_count], block_at;
            session->buffer_node[buffer] = nodes[next];
            uint64_t unit = vdb_disk_unit_offset(disk, nodes[next++], &block_at);
            code = vdb_block_reader_submit(session->reader, unit, disk->read_bytes,
                                           session->buffers + (size_t)buffer * disk->read_bytes, buffer);
            if (code != VDB_OK)
                session->free_buffers[session->free_count++] = buffer;
            else
                in_flight++;
        }
        if (in_flight == 0)
            break;
        uint64_t done[VDB_DISK_MAX_READS];
        int reaped = vdb_block_reader_reap(session->reader, 1, done, VDB_DISK_MAX_READS);
        if (reaped < 0) {
            vdb_disk_session_drain(session);
            return reaped;
        }
        for (int i = 0; i < reaped; i++) {
            uint32_t buffer = (uint32_t)done[i], node = session->buffer_node[buffer], block_at;
            vdb_disk_unit_offset(disk, node, &block_at);
            memcpy(vdb_node_cache_next(&disk->cache), session->buffers + (size_t)buffer * disk->read_bytes + block_at,
                   disk->block_bytes);
            vdb_node_cache_insert(&disk->cache, node);
            session->free_buffers[session->free_count++] = buffer;
        }
        in_flight = vdb_block_reader_in_flight(session->reader);
    }
    return code;
}

int vdb_disk_set_cache(vdb_disk *disk, const vdb_hnsw *graph, uint64_t bytes)
{
    vdb_node_cache_destroy(&disk->cache);
    uint64_t per_node = disk->block_bytes + 2 * sizeof(vdb_node_cache_slot) + sizeof(uint32_t);
    uint64_t wanted = bytes / per_node < graph->count ? bytes / per_node : graph->count;
    if (wanted == 0)
        return VDB_OK;
    uint32_t *nodes = malloc(sizeof *nodes * wanted);
    int code = nodes ? vdb_node_cache_init(&disk->cache, (uint32_t)wanted, disk->block_bytes) : VDB_ENOMEM;
    if (code != VDB_OK) {
        free(nodes);
        return vdb_fail(VDB_ENOMEM, "out of memory for a cache of %llu node blocks", (unsigned long long)wanted);
    }
    uint32_t count = choose_nodes(graph, nodes, (uint32_t)wanted);
    vdb_disk_session *session = NULL;
    if ((code = vdb_disk_acquire(disk, &session)) == VDB_OK) {
        code = fill_cache(disk, session, nodes, count);
        vdb_disk_release(disk, session);
    }
    free(nodes);
    if (code != VDB_OK)
        vdb_node_cache_destroy(&disk->cache);
    return code;
}
