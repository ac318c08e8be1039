/*
 * Parallel insertion: each worker takes chunks of new nodes; a node chooses
 * its links by a beam search of the graph as it is, then its neighbours link
 * back to it under their locks, re-choosing their own links by the
 * heuristic when their blocks are full.
 */
#include "graph/insert.h"

#include "graph/in_links.h"
#include "graph/search.h"
#include "graph/walk_codes.h"
#include "util/parallel.h"
#include "vdb.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static float node_distance(const vdb_hnsw *graph, uint32_t a, uint32_t b)
{
    return graph->distance(vdb_hnsw_vector(graph, a), vdb_hnsw_vector(graph, b), graph->dim);
}

uint32_t vdb_hnsw_select_neighbors(const vdb_hnsw *graph, const vdb_candidate *sorted, uint32_t count, uint32_t limit,
                                   uint32_t *selected)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < count && kept < limit; i++) {
        const float *candidate = vdb_hnsw_vector(graph, sorted[i].node);
        int diverse = 1;
        for (uint32_t j = 0; j < kept && diverse; j += 4) { /* four at a time: at most three wasted */
            uint32_t group = kept - j < 4 ? kept - j : 4;
            float distances[4];
            vdb_hnsw_distances(graph, candidate, selected + j, group, distances);
            for (uint32_t g = 0; g < group; g++)
                diverse &= distances[g] >= sorted[i].distance;
        }
        if (diverse)
            selected[kept++] = sorted[i].node;
    }
    return kept;
}

static uint32_t *link_block(const vdb_hnsw *graph, uint32_t node, uint32_t level)
{
    return level == 0 ? vdb_hnsw_links0(graph, node) : vdb_hnsw_upper_links(graph, node, level);
}

/* Link `neighbor` back to `node`, re-choosing its links by the heuristic when full. */
static void add_back_link(vdb_hnsw *graph, uint32_t neighbor, uint32_t node, uint32_t level)
{
    uint32_t limit = level == 0 ? graph->m0 : graph->m;
    vdb_candidate pool[VDB_MAX_M0 + 1];
    pthread_mutex_t *lock = vdb_hnsw_node_lock(graph, neighbor);
    uint32_t *block = link_block(graph, neighbor, level);
    if (!block)
        return; /* not on this level: only a damaged file links to it here, and open refuses those */
    pthread_mutex_lock(lock);
    uint32_t count = block[0];
    for (uint32_t i = 0; i < count; i++)
        if (block[1 + i] == node) {
            pthread_mutex_unlock(lock);
            return;
        }
    if (count < limit) {
        block[1 + count] = node;
        block[0] = count + 1;
        if (level == 0)
            vdb_hnsw_add_in_link(graph, node);
    } else {
        float distances[VDB_MAX_M0];
        uint32_t old[VDB_MAX_M0], chosen[VDB_MAX_M0];
        memcpy(old, block + 1, sizeof *old * count);
        vdb_hnsw_distances(graph, vdb_hnsw_vector(graph, neighbor), old, count, distances);
        pool[0] = (vdb_candidate){node_distance(graph, neighbor, node), node};
        for (uint32_t i = 0; i < count; i++)
            pool[1 + i] = (vdb_candidate){distances[i], old[i]};
        vdb_candidates_sort(pool, count + 1);
        uint32_t kept = vdb_hnsw_select_neighbors(graph, pool, count + 1, limit, chosen);
        if (level == 0)
            kept = vdb_hnsw_settle_links(graph, old, count, chosen, kept, node);
        memcpy(block + 1, chosen, sizeof *chosen * kept);
        memset(block + 1 + kept, 0, sizeof *block * (limit - kept));
        block[0] = kept;
    }
    pthread_mutex_unlock(lock);
}

/*
 * The node's parent for the saved file's order: the nearest node the
 * level-0 search found whose level is above `level`. The greedy descent's
 * end is the fallback; on data with no hierarchy (clusters scattered at
 * random) it is often in another cluster, while the beam's results are not.
 */
static uint32_t nearest_above(const vdb_hnsw *graph, const vdb_candidate *sorted, uint32_t found, uint32_t level,
                              uint32_t fallback)
{
    for (uint32_t i = 0; i < found; i++)
        if (vdb_hnsw_level(graph, sorted[i].node) > level)
            return sorted[i].node;
    return fallback;
}

/*
 * Add node's links on `level` that the last beam search did not reach to its
 * results, so that a relink weighs them too. Only a candidate that cannot be
 * stored is left out; the node keeps links enough either way.
 */
static void add_unvisited_links(const vdb_hnsw *graph, uint32_t node, uint32_t level, vdb_scratch *scratch)
{
    pthread_mutex_t *lock = vdb_hnsw_node_lock(graph, node);
    uint32_t links[VDB_MAX_M0];
    pthread_mutex_lock(lock);
    uint32_t *block = link_block(graph, node, level), count = block[0];
    memcpy(links, block + 1, sizeof *links * count);
    pthread_mutex_unlock(lock);
    for (uint32_t i = 0; i < count; i++)
        if (!vdb_scratch_visit(scratch, links[i]) && !vdb_hnsw_is_dead(graph, links[i]))
            vdb_heap_push(&scratch->results, (vdb_candidate){node_distance(graph, node, links[i]), links[i]}, 1);
}

/*
 * Choose node's links by a search from the entry point and write its blocks
 * on levels min(level, top) .. 0, top down; returns the lowest of the two
 * levels. With `relink`, the node is already reachable: the search finds it
 * (it is left out), and the links it has now compete with what the search
 * found, since other nodes may have linked back to it meanwhile.
 */
static uint32_t choose_links(vdb_hnsw *graph, uint32_t node, vdb_scratch *scratch, int relink)
{
    const float *vector = vdb_hnsw_vector(graph, node);
    vdb_query walk = {vector, NULL}; /* the index's own codes may be PQ, too coarse to choose links by */
    vdb_coded_query coded;
    if (graph->walk_codes) {
        vdb_coded_query_prepare(&coded, graph->walk_codes, graph->metric, vector, scratch->query_weights);
        walk.coded = &coded;
    }
    uint32_t level = vdb_hnsw_level(graph, node);
    pthread_mutex_t *lock = vdb_hnsw_node_lock(graph, node);

    pthread_mutex_lock(&graph->entry_lock);
    uint32_t entry = graph->entry, top = graph->max_level;
    pthread_mutex_unlock(&graph->entry_lock);

    vdb_candidate current = {walk.coded ? vdb_coded_query_distance(&coded, entry)
                                        : graph->distance(vector, vdb_hnsw_vector(graph, entry), graph->dim),
                             entry};
    for (uint32_t l = top; l > level; l--)
        current = vdb_hnsw_greedy(graph, &walk, current, l, scratch, 1);
    graph->parents[node] = level < top ? current.node : VDB_NO_NODE; /* refined below; see file/save_order.h */

    uint32_t lowest_top = level < top ? level : top, selected[VDB_MAX_M0];
    uint32_t ef = graph->narrow && graph->narrow[node] ? graph->narrow_ef : graph->ef_construction;
    for (uint32_t l = lowest_top + 1; l-- > 0;) {
        if (walk.coded) /* the level above left it with its float distance */
            current.distance = vdb_coded_query_distance(&coded, current.node);
        int code = vdb_hnsw_beam(graph, &walk, current, l, ef, NULL, scratch, 1);
        if (code != VDB_OK) /* the node still gets the best links found so far; the caller hears of it */
            atomic_store(&graph->insert_error, code);
        if (walk.coded) /* links are chosen by float distances */
            vdb_hnsw_rerank(graph, vector, ef, ef, 0, &scratch->results);
        if (relink)
            add_unvisited_links(graph, node, l, scratch);
        uint32_t found = scratch->results.size;
        const vdb_candidate *sorted = vdb_heap_sort(&scratch->results);
        if (relink && found > 0 && sorted[0].node == node) { /* itself, at distance 0 */
            sorted++;
            found--;
        }
        if (found == 0)
            continue; /* the node is the entry and alone on this level: nothing to link */
        current = sorted[0];
        if (l == 0)
            graph->parents[node] = nearest_above(graph, sorted, found, level, graph->parents[node]);
        uint32_t kept = vdb_hnsw_select_neighbors(graph, sorted, found, l == 0 ? graph->m0 : graph->m, selected);
        pthread_mutex_lock(lock);
        uint32_t *block = link_block(graph, node, l);
        if (l == 0) /* a relink replaces links others may depend on; a new node's block is empty */
            kept = vdb_hnsw_settle_links(graph, block + 1, block[0], selected, kept, VDB_NO_NODE);
        memcpy(block + 1, selected, sizeof *selected * kept);
        memset(block + 1 + kept, 0, sizeof *block * ((l == 0 ? graph->m0 : graph->m) - kept));
        block[0] = kept;
        pthread_mutex_unlock(lock);
    }
    return lowest_top;
}

/* Make node reachable: each node it links to on levels 0 .. lowest_top links back to it. */
static void add_back_links(vdb_hnsw *graph, uint32_t node, uint32_t lowest_top)
{
    pthread_mutex_t *lock = vdb_hnsw_node_lock(graph, node);
    uint32_t selected[VDB_MAX_M0];
    for (uint32_t l = 0; l <= lowest_top; l++) {
        /* A copy: once the first back-link is in, other threads may add to this node's blocks. */
        pthread_mutex_lock(lock);
        uint32_t *block = link_block(graph, node, l), kept = block[0];
        memcpy(selected, block + 1, sizeof *selected * kept);
        pthread_mutex_unlock(lock);
        for (uint32_t i = 0; i < kept; i++)
            add_back_link(graph, selected[i], node, l);
    }
}

/*
 * A node's blocks on every level are written before any neighbour links back
 * to it: back-links added level by level would let another thread arrive
 * through an upper level, find empty lower-level blocks, and link its own
 * node to nothing else.
 */
vdb_hnsw_pending vdb_hnsw_insert_begin(vdb_hnsw *graph, uint32_t node, vdb_scratch *scratch)
{
    vdb_hnsw_pending pending = {node, atomic_load(&graph->published), 0};
    pending.lowest_top = choose_links(graph, node, scratch, 0);
    return pending;
}

/*
 * While a node is being linked no other node can reach it, so nodes inserted
 * meanwhile neither link to it nor are among its links. On as many threads
 * as cores that is a few nodes. But a thread can lose its core for
 * milliseconds, and then the graph may have grown many times over around
 * the node: it ends with links chosen from a small, stale graph, often pruned
 * straight out of its neighbours' full blocks, and searches for it no longer
 * pass near it. So when the graph grew by more than 1/STALE_GROWTH of itself
 * while the node was hidden, it chooses its links again, now in full view.
 */
enum { STALE_GROWTH = 8 };

void vdb_hnsw_insert_end(vdb_hnsw *graph, const vdb_hnsw_pending *pending, vdb_scratch *scratch)
{
    uint32_t node = pending->node, level = vdb_hnsw_level(graph, node);
    add_back_links(graph, node, pending->lowest_top);

    if (level > pending->lowest_top) {
        pthread_mutex_lock(&graph->entry_lock);
        if (level > graph->max_level) {
            graph->max_level = level;
            graph->entry = node;
        }
        pthread_mutex_unlock(&graph->entry_lock);
    }

    uint64_t published_meanwhile = atomic_fetch_add(&graph->published, 1) - pending->published_before;
    if (published_meanwhile > pending->published_before / STALE_GROWTH)
        add_back_links(graph, node, choose_links(graph, node, scratch, 1));
}

/*
 * When the calling thread tells a progress callback how far the insertion
 * is: each hundredth of the work, or 0.1 s, whichever comes first. Steps of
 * the work, not only of time, so that a fast insertion still reports on its
 * way (and can be stopped there) whatever the machine's speed.
 */
#define REPORT_SECONDS 0.1
enum { REPORT_STEPS = 100 };

typedef struct {
    vdb_hnsw *graph;
    uint32_t first;
    uint64_t total; /* the nodes this insertion links */
    const vdb_progress *progress;
    atomic_uint_fast64_t done;
    atomic_int canceled;
    double last_report; /* these two are touched by worker 0, the calling thread, alone */
    uint64_t next_report_at;
} insert_job;

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* Worker 0 is the calling thread: the only one that may call back into the caller's code. */
static void report(insert_job *job, uint32_t worker, int force)
{
    if (!job->progress || worker != 0)
        return;
    double now = now_seconds();
    uint64_t done = atomic_load(&job->done);
    if (!force && now - job->last_report < REPORT_SECONDS && done < job->next_report_at)
        return;
    if (!force && done >= job->total)
        return; /* all done: vdb_hnsw_insert makes the last report, whose answer it must not ask */
    job->last_report = now;
    job->next_report_at = done + (job->total / REPORT_STEPS > 0 ? job->total / REPORT_STEPS : 1);
    const vdb_progress *p = job->progress;
    if (p->report(done, job->total, p->context) != 0)
        atomic_store(&job->canceled, 1);
}

static void insert_chunk(void *raw, uint64_t begin, uint64_t end, uint32_t worker)
{
    insert_job *job = raw;
    if (atomic_load_explicit(&job->canceled, memory_order_relaxed))
        return; /* the rest of the chunks go by untouched */
    vdb_scratch *scratch = NULL;
    if (vdb_scratch_acquire(job->graph->scratch_pool, vdb_hnsw_insert_scratch_size(job->graph), &scratch) != VDB_OK)
        abort(); /* not reached: vdb_hnsw_reserve warmed a scratch of this size per worker */
    for (uint64_t i = begin; i < end; i++) {
        vdb_hnsw_pending pending = vdb_hnsw_insert_begin(job->graph, job->first + (uint32_t)i, scratch);
        vdb_hnsw_insert_end(job->graph, &pending, scratch);
    }
    vdb_scratch_release(job->graph->scratch_pool, scratch);
    atomic_fetch_add(&job->done, end - begin);
    report(job, worker, 0);
}

int vdb_hnsw_insert(vdb_hnsw *graph, uint32_t more, uint32_t threads, const vdb_progress *progress)
{
    uint32_t first = graph->allocated - more;
    if (more == 0)
        return VDB_OK;
    insert_job job = {.graph = graph, .total = more, .progress = progress && progress->report ? progress : NULL};
    atomic_init(&job.done, 0);
    atomic_init(&job.canceled, 0);
    report(&job, 0, 1); /* 0 of total: a callback can cancel before any work */
    if (atomic_load(&job.canceled)) {
        graph->count = graph->allocated;
        return VDB_ECANCELED;
    }
    if (graph->entry == VDB_NO_NODE) {
        graph->entry = first; /* the first node needs no links: there is nothing to link to */
        graph->parents[first] = VDB_NO_NODE;
        graph->max_level = vdb_hnsw_level(graph, first);
        first++;
        more--;
    }
    atomic_store(&graph->published, first);
    atomic_store(&graph->insert_error, VDB_OK);
    job.first = first;
    atomic_store(&job.done, job.total - more); /* the entry node, when it was the first */
    vdb_code_store walk_codes;
    int made_codes = vdb_walk_codes_begin(graph, more, threads, &walk_codes);
    vdb_parallel_for(threads, more, VDB_INSERT_CHUNK, insert_chunk, &job);
    if (made_codes)
        vdb_walk_codes_end(graph, &walk_codes);
    graph->count = graph->allocated;
    if (atomic_load(&job.canceled))
        return VDB_ECANCELED;
    if (job.progress) /* total of total; too late to cancel, so the answer is not asked */
        (void)job.progress->report(job.total, job.total, job.progress->context);
    return atomic_load(&graph->insert_error);
}
