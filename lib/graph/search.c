/*
 * Greedy descent, beam search, and the query entry point. Every link read
 * from a block is range-checked against `allocated`, so a corrupt index file
 * can give wrong answers but never a wild read.
 *
 * Rows in a mapped file may not be in memory. A search that touches such a
 * row waits for one disk read, and an expansion touches a dozen rows, one
 * wait after another. So a search over mapped rows times itself; when
 * searches take longer per distance than memory ever does, the next ones
 * first ask the kernel for all of an expansion's rows at once
 * (MADV_WILLNEED, which starts the reads and returns), and the disk serves
 * them together. In memory the hint is off and costs two clock reads a search.
 *
 * With trained codes (codes/codes.h) the walk reads code rows instead, 4 to
 * 32 times fewer bytes, and only the final candidates' float rows are read,
 * to give them their exact distances: then that rerank is what is timed,
 * and a cold one asks for all its rows at once, so that their reads overlap.
 */
#include "graph/search.h"

#include "vdb.h"

#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { CACHE_LINE = 64, MAX_PREFETCH_LINES = 24 };

/* Above this many nanoseconds per distance a search was waiting on the disk; memory takes well under 1000. */
enum { COLD_NS_PER_DISTANCE = 4000 };

static uint64_t now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* The node's links on level: a pointer to `count` node numbers. */
static inline uint32_t read_links(const vdb_hnsw *graph, uint32_t node, uint32_t level, vdb_scratch *scratch,
                                  int locked, const uint32_t **links)
{
    const uint32_t *block = level == 0 ? vdb_hnsw_links0(graph, node) : vdb_hnsw_upper_links(graph, node, level);
    if (!block)
        return 0;
    uint32_t limit = level == 0 ? graph->m0 : graph->m;
    if (!locked) {
        *links = block + 1;
        return block[0] < limit ? block[0] : limit;
    }
    pthread_mutex_lock(vdb_hnsw_node_lock(graph, node));
    uint32_t count = block[0] < limit ? block[0] : limit;
    memcpy(scratch->neighbors, block + 1, sizeof *block * count);
    pthread_mutex_unlock(vdb_hnsw_node_lock(graph, node));
    *links = scratch->neighbors;
    return count;
}

/*
 * A node that enters a query's candidates is likely to be expanded soon,
 * and its link block, a random place in a large array, is then the walk's
 * slowest load: start it now. An insertion's beam (`locked`), wider than
 * most queries', expands fewer of the nodes it takes in: it fetches only
 * the block of the node it will expand next, while it measures the
 * neighbours of this one. Each way measured the faster for its walk, by 6
 * to 9% (50,000 text rows, 120,000 sift-like).
 */
static inline void prefetch_links(const vdb_hnsw *graph, uint32_t node, uint32_t level)
{
    if (level != 0)
        return;
    const char *block = (const char *)vdb_hnsw_links0(graph, node);
    for (uint32_t offset = 0; offset < (graph->m0 + 1) * sizeof(uint32_t); offset += CACHE_LINE)
        __builtin_prefetch(block + offset, 0, 3);
}

/* The first byte of what a distance from query to node reads. */
static inline const char *row_bytes(const vdb_hnsw *graph, const vdb_query *query, uint32_t node)
{
    if (query->coded)
        return (const char *)vdb_codes_row(query->coded->codes, node);
    return (const char *)vdb_hnsw_vector(graph, node);
}

static inline void prefetch_row(const vdb_hnsw *graph, const vdb_query *query, uint32_t node, uint32_t lines)
{
    const char *bytes = row_bytes(graph, query, node);
    for (uint32_t line = 0; line < lines; line++)
        __builtin_prefetch(bytes + line * CACHE_LINE, 0, 3);
}

/* Cache lines of one row the walk reads, up to what is worth fetching ahead. */
static uint32_t row_lines(const vdb_hnsw *graph, const vdb_query *query)
{
    uint32_t bytes = query->coded ? query->coded->codes->stride : graph->dim * (uint32_t)sizeof(float);
    uint32_t lines = (bytes + CACHE_LINE - 1) / CACHE_LINE;
    return lines < MAX_PREFETCH_LINES ? lines : MAX_PREFETCH_LINES;
}

static inline float query_distance(const vdb_hnsw *graph, const vdb_query *query, uint32_t node)
{
    if (query->coded)
        return vdb_coded_query_distance(query->coded, node);
    return graph->distance(query->vector, vdb_hnsw_vector(graph, node), graph->dim);
}

static inline void query_distances(const vdb_hnsw *graph, const vdb_query *query, const uint32_t *nodes, uint32_t count,
                                   float *out)
{
    if (query->coded)
        vdb_coded_query_distances(query->coded, nodes, count, out);
    else
        vdb_hnsw_distances(graph, query->vector, nodes, count, out);
}

vdb_candidate vdb_hnsw_greedy(const vdb_hnsw *graph, const vdb_query *query, vdb_candidate start, uint32_t level,
                              vdb_scratch *scratch, int locked)
{
    vdb_candidate best = start;
    uint32_t lines = row_lines(graph, query), valid[VDB_MAX_M0];
    float distances[VDB_MAX_M0];
    for (int moved = 1; moved;) {
        moved = 0;
        const uint32_t *links;
        uint32_t count = read_links(graph, best.node, level, scratch, locked, &links), valid_count = 0;
        for (uint32_t i = 0; i < count; i++)
            if (links[i] < graph->allocated) {
                valid[valid_count++] = links[i];
                prefetch_row(graph, query, links[i], lines);
            }
        /* All of them at once: the batch kernels give what the single ones would, and overlap the rows' loads. */
        query_distances(graph, query, valid, valid_count, distances);
        for (uint32_t i = 0; i < valid_count; i++)
            if (distances[i] < best.distance) {
                best = (vdb_candidate){distances[i], valid[i]};
                moved = 1;
            }
    }
    return best;
}

/*
 * Room for one more candidate. A candidate farther than every result once ef
 * results are in will never be expanded (results only get nearer), so those
 * are dropped first; only a walk that accepts few nodes needs the list to grow.
 */
static int make_room(vdb_heap *candidates, const vdb_heap *results, uint32_t ef)
{
    if (candidates->size < candidates->capacity)
        return VDB_OK;
    if (results->size >= ef)
        vdb_heap_drop_beyond(candidates, results->items[0].distance);
    if (candidates->size < candidates->capacity)
        return VDB_OK;
    return candidates->capacity > UINT32_MAX / 2 ? VDB_ENOMEM : vdb_heap_reserve(candidates, 2 * candidates->capacity);
}

static inline int may_be_result(const vdb_hnsw *graph, const vdb_accept *accept, uint32_t node)
{
    return !vdb_hnsw_is_dead(graph, node) && (!accept || accept->accepts(accept->context, node));
}

int vdb_hnsw_beam(const vdb_hnsw *graph, const vdb_query *query, vdb_candidate entry, uint32_t level, uint32_t ef,
                  const vdb_accept *accept, vdb_scratch *scratch, int locked)
{
    vdb_heap *candidates = &scratch->candidates, *results = &scratch->results;
    uint32_t lines = row_lines(graph, query);
    uint32_t fresh[VDB_MAX_M0];

    vdb_scratch_new_epoch(scratch);
    vdb_scratch_visit(scratch, entry.node);
    vdb_heap_push(candidates, entry, 0);
    if (may_be_result(graph, accept, entry.node))
        vdb_heap_push(results, entry, 1);

    while (candidates->size > 0) {
        vdb_candidate nearest = candidates->items[0];
        if (results->size >= ef && nearest.distance > results->items[0].distance)
            break;
        vdb_heap_pop(candidates, 0);

        /* First pass: drop visited neighbours and start the loads of the rest. */
        const uint32_t *links;
        uint32_t count = read_links(graph, nearest.node, level, scratch, locked, &links), fresh_count = 0;
        if (locked && candidates->size > 0)
            prefetch_links(graph, candidates->items[0].node, level);
        for (uint32_t i = 0; i < count; i++) {
            uint32_t neighbor = links[i];
            if (neighbor >= graph->allocated || vdb_scratch_visit(scratch, neighbor))
                continue;
            if (scratch->request_rows)
                vdb_hnsw_request_row(graph, neighbor);
            else
                prefetch_row(graph, query, neighbor, 1);
            fresh[fresh_count++] = neighbor;
        }
        scratch->distances += fresh_count;
        /* Second pass: distances four at a time, fetching the next four whole while these are measured. */
        for (uint32_t i = 0; i < fresh_count; i += 4) {
            uint32_t group = fresh_count - i < 4 ? fresh_count - i : 4;
            for (uint32_t next = i + 4; next < i + 8 && next < fresh_count; next++)
                prefetch_row(graph, query, fresh[next], lines);
            float distances[4];
            query_distances(graph, query, fresh + i, group, distances);
            for (uint32_t g = 0; g < group; g++) {
                if (results->size < ef || distances[g] < results->items[0].distance) {
                    vdb_candidate found = {distances[g], fresh[i + g]};
                    int code = make_room(candidates, results, ef);
                    if (code != VDB_OK)
                        return code;
                    vdb_heap_push(candidates, found, 0);
                    if (!locked)
                        prefetch_links(graph, found.node, level);
                    if (may_be_result(graph, accept, found.node)) {
                        vdb_heap_push(results, found, 1);
                        if (results->size > ef)
                            vdb_heap_pop(results, 1);
                    }
                }
            }
        }
    }
    return VDB_OK;
}

/*
 * From the disk (`request`) the float rows are asked for all at once, so
 * that their reads overlap. From memory they are measured four at a time,
 * the next eight fetched meanwhile: all ef at once would be more lines than
 * the cache keeps until they are read.
 */
uint32_t vdb_hnsw_rerank(const vdb_hnsw *graph, const float *query, uint32_t k, uint32_t rerank, int request,
                         vdb_heap *heap)
{
    while (heap->size > rerank)
        vdb_heap_pop(heap, 1);
    vdb_query exact = {query, NULL};
    uint32_t lines = row_lines(graph, &exact), size = heap->size;
    for (uint32_t i = 0; i < size && (request || i < 8); i++) {
        if (request)
            vdb_hnsw_request_row(graph, heap->items[i].node);
        else
            prefetch_row(graph, &exact, heap->items[i].node, lines);
    }
    heap->size = 0; /* rebuilt in place, as vdb_heap_drop_beyond does, never past the items still to measure */
    for (uint32_t i = 0; i < size; i += 4) {
        uint32_t group = size - i < 4 ? size - i : 4, nodes[4];
        vdb_candidate items[4];
        for (uint32_t next = i + 8; !request && next < i + 12 && next < size; next++)
            prefetch_row(graph, &exact, heap->items[next].node, lines);
        for (uint32_t g = 0; g < group; g++) {
            items[g] = heap->items[i + g];
            nodes[g] = items[g].node;
        }
        float distances[4];
        vdb_hnsw_distances(graph, query, nodes, group, distances);
        for (uint32_t g = 0; g < group; g++) {
            items[g].distance = distances[g];
            vdb_heap_sift_up(heap, heap->size++, items[g], 1);
        }
    }
    while (heap->size > k)
        vdb_heap_pop(heap, 1);
    return size;
}

/* After `distances` float rows read since `started`: whether searches should request rows from now on. */
static void note_coldness(const vdb_hnsw *graph, uint64_t started, uint64_t distances, int was_cold)
{
    if (distances == 0)
        return;
    int cold = (now_ns() - started) / distances > COLD_NS_PER_DISTANCE;
    if (cold != was_cold) /* the hint is only a hint: a relaxed store, and the graph stays read-only */
        atomic_store_explicit((atomic_int *)&graph->rows_cold, cold, memory_order_relaxed);
}

int vdb_hnsw_search(const vdb_hnsw *graph, const float *query, uint32_t k, uint32_t ef, uint32_t rerank,
                    const vdb_accept *accept, vdb_candidate *results, uint32_t *found)
{
    *found = 0;
    if (graph->count == 0 || graph->entry == VDB_NO_NODE)
        return VDB_OK;
    if (ef < k)
        ef = k;
    if (ef > graph->count) /* a wider beam holds no more nodes; a caller's huge ef or k must not size the scratch */
        ef = graph->count;
    vdb_scratch *scratch = NULL;
    int code = vdb_scratch_acquire(graph->scratch_pool, vdb_hnsw_scratch_size(graph, ef), &scratch);
    if (code != VDB_OK)
        return code;

    vdb_coded_query coded;
    vdb_query walk = {query, NULL};
    if (vdb_hnsw_coded(graph)) {
        vdb_coded_query_prepare(&coded, graph->codes, graph->metric, query, scratch->query_weights);
        walk.coded = &coded;
    }
    /* Float rows in a mapped file may be on the disk: the walk reads them without codes, the rerank with. */
    int rows_mapped = graph->store->mapped_count > 0;
    int cold = rows_mapped && atomic_load_explicit(&graph->rows_cold, memory_order_relaxed);
    int walk_timed = rows_mapped && !walk.coded;
    uint64_t started = walk_timed ? now_ns() : 0;
    scratch->request_rows = walk_timed && cold;
    scratch->distances = 0;

    uint32_t entry = graph->entry;
    vdb_candidate current = {query_distance(graph, &walk, entry), entry};
    for (uint32_t level = graph->max_level; level > 0; level--)
        current = vdb_hnsw_greedy(graph, &walk, current, level, scratch, 0);
    code = vdb_hnsw_beam(graph, &walk, current, 0, ef, accept, scratch, 0);

    if (walk_timed)
        note_coldness(graph, started, scratch->distances, cold);
    scratch->request_rows = 0;

    if (code == VDB_OK) {
        vdb_heap *heap = &scratch->results;
        if (walk.coded) {
            started = rows_mapped ? now_ns() : 0;
            uint32_t depth = rerank == 0 ? ef : rerank < k ? k : rerank;
            uint32_t measured = vdb_hnsw_rerank(graph, query, k, depth, cold, heap);
            if (rows_mapped)
                note_coldness(graph, started, measured, cold);
        }
        while (heap->size > k)
            vdb_heap_pop(heap, 1);
        *found = heap->size;
        memcpy(results, vdb_heap_sort(heap), sizeof *results * *found);
    }
    vdb_scratch_release(graph->scratch_pool, scratch);
    return code;
}
