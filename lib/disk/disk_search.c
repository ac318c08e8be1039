#include "disk/disk_search.h"

#include "util/error.h"
#include "vdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A node found by code; `exact` is its float32 distance once its block was read (NAN before). */
typedef struct found_node {
    float distance;
    uint32_t node;
    float exact;
} found_node;

/* Nodes nearest first by code distance, in an array of `capacity`. */
typedef struct sorted_nodes {
    found_node *items;
    uint32_t size, capacity;
} sorted_nodes;

/* Where a node of this distance goes: after the ones at least as near (so the earlier-found of a tie comes first). */
static uint32_t place_of(const sorted_nodes *list, float distance)
{
    uint32_t low = 0, high = list->size;
    while (low < high) {
        uint32_t middle = (low + high) / 2;
        if (list->items[middle].distance <= distance)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* Insert, dropping the farthest when full. */
static void insert_node(sorted_nodes *list, found_node item)
{
    uint32_t at = place_of(list, item.distance);
    if (at == list->capacity)
        return;
    if (list->size == list->capacity)
        list->size--;
    memmove(list->items + at + 1, list->items + at, sizeof *list->items * (list->size - at));
    list->items[at] = item;
    list->size++;
}

/*
 * The walk of vdb_hnsw_beam on level 0, by codes, node for node: the same
 * nodes expanded in the same order, so the same results. What differs is
 * where a node's links come from: its block, read from the disk, which
 * also holds its vector. While the nearest candidate's block is awaited,
 * the blocks of the next nearest are already being read (`width` in all):
 * those are the nodes the walk expands next, unless nearer ones turn up.
 */
_Static_assert(2 * VDB_DISK_BEAM_WIDTH <= VDB_DISK_MAX_READS, "room to read ahead while reads the walk left finish");

typedef struct walk {
    const vdb_hnsw *graph;
    const float *query;
    const vdb_coded_query *coded;
    const vdb_accept *accept;
    vdb_scratch *scratch;
    vdb_disk *disk;
    vdb_disk_session *session;
    sorted_nodes candidates; /* found, not expanded, nearer than the farthest result */
    sorted_nodes results;    /* the ef nearest accepted nodes found */
    uint32_t ef, width;
    uint8_t arrived[VDB_DISK_MAX_READS]; /* per buffer in use: its read is done */
} walk;

static int accepted(const walk *w, uint32_t node)
{
    return !vdb_hnsw_is_dead(w->graph, node) && (!w->accept || w->accept->accepts(w->accept->context, node));
}

/* The buffer reading or holding node's block, or VDB_DISK_MAX_READS. */
static uint32_t buffer_of(const walk *w, uint32_t node)
{
    const vdb_disk_session *session = w->session;
    for (uint32_t i = 0; i < session->busy_count; i++)
        if (session->buffer_node[session->busy[i]] == node)
            return session->busy[i];
    return VDB_DISK_MAX_READS;
}

/*
 * Keep the blocks of buffer's read unit that the walk may come to later:
 * all but `except` (the node just expanded, or VDB_NO_NODE). A block of 4
 * KiB or more is a unit of its own.
 */
static void keep_unit(walk *w, uint32_t buffer, uint32_t except)
{
    const vdb_disk *disk = w->disk;
    uint32_t block_at, per_unit = disk->read_bytes / disk->block_bytes;
    uint64_t unit = vdb_disk_unit_offset(disk, w->session->buffer_node[buffer], &block_at);
    uint64_t first = (unit - disk->blocks_offset) / disk->block_bytes;
    const unsigned char *blocks = w->session->buffers + (size_t)buffer * disk->read_bytes;
    for (uint32_t i = 0; i < per_unit; i++) {
        uint64_t node = first + i;
        if (node != except && node < w->graph->count && !vdb_node_cache_find(&disk->cache, (uint32_t)node))
            vdb_kept_blocks_keep(&w->session->kept, (uint32_t)node, blocks + (size_t)i * disk->block_bytes);
    }
}

static void free_buffer(walk *w, uint32_t buffer)
{
    vdb_disk_session *session = w->session;
    for (uint32_t i = 0; i < session->busy_count; i++)
        if (session->busy[i] == buffer) {
            session->busy[i] = session->busy[--session->busy_count];
            break;
        }
    session->free_buffers[session->free_count++] = buffer;
}

/*
 * Have the blocks of the `width` nearest candidates read or being read.
 * A block that arrived for a node no longer among them is dropped, to make
 * room: the walk has moved elsewhere.
 */
static int read_ahead(walk *w)
{
    vdb_disk_session *session = w->session;
    uint32_t ahead = w->candidates.size < w->width ? w->candidates.size : w->width;
    for (uint32_t i = 0; i < session->busy_count;) {
        uint32_t buffer = session->busy[i], wanted = 0;
        for (uint32_t c = 0; c < ahead && !wanted; c++)
            wanted = w->candidates.items[c].node == session->buffer_node[buffer];
        if (!wanted && w->arrived[buffer]) {
            keep_unit(w, buffer, VDB_NO_NODE);
            free_buffer(w, buffer); /* moves another into slot i */
        } else
            i++;
    }
    for (uint32_t c = 0; c < ahead && session->free_count > 0; c++) {
        uint32_t node = w->candidates.items[c].node;
        if (buffer_of(w, node) != VDB_DISK_MAX_READS || vdb_node_cache_find(&w->disk->cache, node) ||
            vdb_kept_blocks_find(&session->kept, node))
            continue;
        uint32_t buffer = session->free_buffers[--session->free_count], block_at;
        uint64_t unit = vdb_disk_unit_offset(w->disk, node, &block_at);
        int code = vdb_block_reader_submit(session->reader, unit, w->disk->read_bytes,
                                           session->buffers + (size_t)buffer * w->disk->read_bytes, buffer);
        if (code != VDB_OK) {
            session->free_buffers[session->free_count++] = buffer;
            return code;
        }
        session->buffer_node[buffer] = node;
        session->busy[session->busy_count++] = buffer;
        w->arrived[buffer] = 0;
    }
    return VDB_OK;
}

/* Wait for at least one read to finish. */
static int wait_for_read(walk *w)
{
    uint64_t done[VDB_DISK_MAX_READS];
    int reaped = vdb_block_reader_reap(w->session->reader, 1, done, VDB_DISK_MAX_READS);
    for (int i = 0; i < reaped; i++)
        w->arrived[done[i]] = 1;
    return reaped < 0 ? reaped : VDB_OK;
}

/* Take in the reads that are done, without waiting. */
static int poll_reads(walk *w)
{
    uint64_t done[VDB_DISK_MAX_READS];
    int reaped = vdb_block_reader_reap(w->session->reader, 0, done, VDB_DISK_MAX_READS);
    for (int i = 0; i < reaped; i++)
        w->arrived[done[i]] = 1;
    return reaped < 0 ? reaped : VDB_OK;
}

/* node's block if it is at hand: cached, or read; *buffer is the read's, or VDB_DISK_MAX_READS. */
static const unsigned char *block_at_hand(const walk *w, uint32_t node, uint32_t *buffer)
{
    *buffer = VDB_DISK_MAX_READS;
    const unsigned char *cached = vdb_node_cache_find(&w->disk->cache, node);
    if (!cached)
        cached = vdb_kept_blocks_find(&w->session->kept, node);
    if (cached)
        return cached;
    uint32_t mine = buffer_of(w, node), block_at;
    if (mine == VDB_DISK_MAX_READS || !w->arrived[mine])
        return NULL; /* being read, or not yet: every buffer was busy with reads the walk has moved away from */
    *buffer = mine;
    vdb_disk_unit_offset(w->disk, node, &block_at);
    return w->session->buffers + (size_t)mine * w->disk->read_bytes + block_at;
}

/* The exact distance of a result whose block was just read. */
static void note_exact(walk *w, uint32_t node, float code_distance, float exact)
{
    sorted_nodes *results = &w->results;
    for (uint32_t at = place_of(results, code_distance); at-- > 0 && results->items[at].distance == code_distance;)
        if (results->items[at].node == node) {
            results->items[at].exact = exact;
            return;
        }
}

/* Ask for a code row before it is measured, so that the rows of a node's links are fetched from memory together. */
static inline void prefetch_code(const vdb_code_store *codes, uint32_t node)
{
    const char *row = (const char *)vdb_codes_row(codes, node);
    for (uint32_t at = 0; at < codes->stride; at += 64)
        __builtin_prefetch(row + at, 0, 3);
}

/* As vdb_hnsw_beam's step: offer each unvisited neighbour to the candidates and, if accepted, to the results. VDB_OK or
 * VDB_ENOMEM. */
static int expand(walk *w, found_node nearest, const unsigned char *block)
{
    const vdb_hnsw *graph = w->graph;
    note_exact(w, nearest.node, nearest.distance, graph->distance(w->query, (const float *)block, graph->dim));
    uint32_t links[VDB_MAX_M0 + 1], fresh[VDB_MAX_M0], fresh_count = 0;
    memcpy(links, block + sizeof(float) * graph->dim, sizeof(uint32_t) * (graph->m0 + 1));
    uint32_t count = links[0] < graph->m0 ? links[0] : graph->m0;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t neighbor = links[1 + i];
        if (neighbor >= graph->count)
            continue;
        int seen = vdb_visited_set_add(&w->session->visited, neighbor);
        if (seen < 0)
            return vdb_fail(seen, "out of memory in a disk-resident search");
        if (!seen) {
            fresh[fresh_count++] = neighbor;
            prefetch_code(w->coded->codes, neighbor);
        }
    }
    float distances[VDB_MAX_M0];
    vdb_coded_query_distances(w->coded, fresh, fresh_count, distances);
    for (uint32_t i = 0; i < fresh_count; i++) {
        sorted_nodes *results = &w->results;
        if (results->size >= w->ef && distances[i] >= results->items[results->size - 1].distance)
            continue;
        found_node found = {distances[i], fresh[i], NAN};
        insert_node(&w->candidates, found);
        if (accepted(w, found.node))
            insert_node(results, found);
        if (results->size >= w->ef) /* candidates beyond the farthest result are never expanded */
            while (w->candidates.size > 0 &&
                   w->candidates.items[w->candidates.size - 1].distance > results->items[results->size - 1].distance)
                w->candidates.size--;
    }
    return VDB_OK;
}

enum { WALK_BLOCKED = 0, WALK_DONE = 1 };

/*
 * Expand nodes as long as the nearest candidate's block is at hand, and
 * with `wait` wait for each until the walk is done. Returns WALK_DONE,
 * WALK_BLOCKED (only without `wait`), or a failed read's code; adds the
 * nodes it expanded to *expanded.
 */
static int walk_advance(walk *w, int wait, uint32_t *expanded)
{
    for (;;) {
        if (w->candidates.size == 0)
            return WALK_DONE;
        found_node nearest = w->candidates.items[0];
        if (w->results.size >= w->ef && nearest.distance > w->results.items[w->results.size - 1].distance)
            return WALK_DONE;
        int code = read_ahead(w);
        if (code != VDB_OK)
            return code;
        uint32_t buffer;
        const unsigned char *block = block_at_hand(w, nearest.node, &buffer);
        if (!block) {
            if ((code = wait ? wait_for_read(w) : poll_reads(w)) != VDB_OK)
                return code;
            if (!wait && !block_at_hand(w, nearest.node, &buffer))
                return WALK_BLOCKED;
            continue;
        }
        memmove(w->candidates.items, w->candidates.items + 1, sizeof *w->candidates.items * --w->candidates.size);
        if ((code = expand(w, nearest, block)) != VDB_OK)
            return code;
        if (buffer != VDB_DISK_MAX_READS) {
            keep_unit(w, buffer, nearest.node);
            free_buffer(w, buffer);
        }
        (*expanded)++;
    }
}

/*
 * As the mapped search's rerank: the `rerank` nearest results by code, by
 * their exact distances, the k nearest of those. The walk expanded every
 * result (each was a candidate nearer than the farthest result, and the
 * walk stops only when none is), so their distances are known; one that is
 * not is measured from the mapping.
 */
static uint32_t rerank(walk *w, uint32_t k, uint32_t depth, vdb_candidate *out)
{
    vdb_heap *heap = &w->scratch->results;
    heap->size = 0;
    uint32_t count = w->results.size < depth ? w->results.size : depth;
    for (uint32_t i = 0; i < count; i++) {
        found_node result = w->results.items[i];
        float exact = result.exact == result.exact
                          ? result.exact
                          : w->graph->distance(w->query, vdb_hnsw_vector(w->graph, result.node), w->graph->dim);
        vdb_heap_push(heap, (vdb_candidate){exact, result.node}, 1);
        if (heap->size > k)
            vdb_heap_pop(heap, 1);
    }
    uint32_t found = heap->size;
    memcpy(out, vdb_heap_sort(heap), sizeof *out * found);
    return found;
}

/* Room for ef results and, since candidates beyond the farthest result are dropped, as many candidates plus a block of
 * links. */
static int reserve_lists(vdb_disk_session *session, uint32_t ef, uint32_t links)
{
    uint32_t needed = 2 * ef + links;
    if (session->list_capacity >= needed)
        return VDB_OK;
    void *items = realloc(session->lists, sizeof(found_node) * needed);
    if (!items)
        return VDB_ENOMEM;
    session->lists = items;
    session->list_capacity = needed;
    return VDB_OK;
}

/* One search in progress: its walk and what the walk borrows. It must not move once begun. */
typedef struct search {
    walk w;
    vdb_coded_query coded;
    vdb_scratch *scratch;
    vdb_disk_session *session;
} search;

static void search_release(search *s)
{
    vdb_disk_session_drain(s->session); /* reads ahead the walk did not need, or left by a failure */
    vdb_disk_release(s->w.disk, s->session);
    vdb_scratch_release(s->w.graph->scratch_pool, s->scratch);
}

/* About how many nodes a walk of beam ef sees: the ef or so it expands, each with half its links new. */
static uint32_t expected_visits(const vdb_hnsw *graph, uint32_t ef)
{
    uint64_t visits = (uint64_t)ef * (graph->m0 / 2);
    return visits < graph->count ? (uint32_t)visits : graph->count;
}

/* Take a scratch and a session, walk the upper levels by codes, and start the walk on level 0 where they end. */
static int search_begin(search *s, vdb_disk *disk, const vdb_hnsw *graph, const float *query, uint32_t ef,
                        uint32_t width, const vdb_accept *accept)
{
    s->scratch = NULL;
    s->session = NULL;
    vdb_scratch_size size = vdb_hnsw_scratch_size(graph, ef);
    size.nodes = 0; /* the walk keeps what it has seen in its session's set */
    int code = vdb_scratch_acquire(graph->scratch_pool, size, &s->scratch);
    if (code != VDB_OK)
        return code;
    if ((code = vdb_disk_acquire(disk, &s->session)) != VDB_OK ||
        (code = reserve_lists(s->session, ef, graph->m0)) != VDB_OK ||
        (code = vdb_visited_set_clear(&s->session->visited, expected_visits(graph, ef))) != VDB_OK) {
        if (s->session)
            vdb_disk_release(disk, s->session);
        vdb_scratch_release(graph->scratch_pool, s->scratch);
        return code;
    }
    vdb_coded_query_prepare(&s->coded, graph->codes, graph->metric, query, s->scratch->query_weights);
    vdb_query by_code = {query, &s->coded};
    vdb_candidate current = {vdb_coded_query_distance(&s->coded, graph->entry), graph->entry};
    for (uint32_t level = graph->max_level; level > 0; level--)
        current = vdb_hnsw_greedy(graph, &by_code, current, level, s->scratch, 0);

    found_node *lists = s->session->lists;
    s->w = (walk){.graph = graph,
                  .query = query,
                  .coded = &s->coded,
                  .accept = accept,
                  .scratch = s->scratch,
                  .disk = disk,
                  .session = s->session,
                  .candidates = {lists, 0, ef + graph->m0},
                  .results = {lists + ef + graph->m0, 0, ef},
                  .ef = ef,
                  .width = width};
    (void)vdb_visited_set_add(&s->session->visited, current.node); /* the first, in a set with room */
    found_node entry = {current.distance, current.node, NAN};
    insert_node(&s->w.candidates, entry);
    if (accepted(&s->w, entry.node))
        insert_node(&s->w.results, entry);
    return VDB_OK;
}

static uint32_t beam_of(const vdb_hnsw *graph, uint32_t k, uint32_t ef)
{
    ef = ef < k ? k : ef;
    return ef > graph->count ? graph->count : ef; /* a wider beam holds no more nodes */
}

static uint32_t depth_of(uint32_t rerank_depth, uint32_t k, uint32_t ef)
{
    return rerank_depth == 0 ? ef : rerank_depth < k ? k : rerank_depth;
}

int vdb_disk_search(vdb_disk *disk, const vdb_hnsw *graph, const float *query, uint32_t k, uint32_t ef, uint32_t depth,
                    const vdb_accept *accept, vdb_candidate *results, uint32_t *found)
{
    *found = 0;
    if (graph->count == 0 || graph->entry == VDB_NO_NODE)
        return VDB_OK;
    ef = beam_of(graph, k, ef);
    search s;
    int code = search_begin(&s, disk, graph, query, ef, VDB_DISK_BEAM_WIDTH, accept);
    if (code != VDB_OK)
        return code;
    uint32_t expanded = 0;
    code = walk_advance(&s.w, 1, &expanded);
    if (code == WALK_DONE) {
        *found = rerank(&s.w, k, depth_of(depth, k, ef), results);
        code = VDB_OK;
    }
    search_release(&s);
    return code;
}

int vdb_disk_search_batch(vdb_disk *disk, const vdb_hnsw *graph, const float *queries, uint64_t count, uint32_t k,
                          uint32_t ef, uint32_t depth, vdb_candidate *results, uint32_t *found)
{
    memset(found, 0, sizeof *found * count);
    if (graph->count == 0 || graph->entry == VDB_NO_NODE)
        return VDB_OK;
    ef = beam_of(graph, k, ef);
    search searches[VDB_DISK_BATCH_WALKS];
    uint64_t query_of[VDB_DISK_BATCH_WALKS], next = 0;
    int running[VDB_DISK_BATCH_WALKS] = {0}, code = VDB_OK;
    uint32_t active = 0;
    for (;;) {
        for (uint32_t i = 0; i < VDB_DISK_BATCH_WALKS && next < count && code == VDB_OK; i++)
            if (!running[i] && (code = search_begin(&searches[i], disk, graph, queries + next * graph->dim, ef,
                                                    VDB_DISK_BATCH_WIDTH, NULL)) == VDB_OK) {
                running[i] = 1;
                query_of[i] = next++;
                active++;
            }
        if (active == 0 || code != VDB_OK)
            break;
        uint32_t progress = 0, first = VDB_DISK_BATCH_WALKS;
        for (uint32_t i = 0; i < VDB_DISK_BATCH_WALKS && code == VDB_OK; i++) {
            if (!running[i])
                continue;
            int state = walk_advance(&searches[i].w, 0, &progress);
            if (state == WALK_DONE) {
                uint64_t q = query_of[i];
                found[q] = rerank(&searches[i].w, k, depth_of(depth, k, ef), results + q * k);
                search_release(&searches[i]);
                running[i] = 0;
                active--;
                progress++;
            } else if (state == WALK_BLOCKED) {
                first = first < i ? first : i;
            } else {
                code = state;
            }
        }
        /* Every walk waits on the disk: sleep until the first one's read is back, rather than spin. */
        if (code == VDB_OK && progress == 0 && first < VDB_DISK_BATCH_WALKS)
            code = wait_for_read(&searches[first].w);
    }
    for (uint32_t i = 0; i < VDB_DISK_BATCH_WALKS; i++)
        if (running[i])
            search_release(&searches[i]);
    return code;
}
