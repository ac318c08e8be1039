/*
 * Each worker repairs a range of nodes into the new arrays, reading only the
 * old ones, so no locks are needed. A block with no deleted links is copied
 * as it is; the others are rebuilt from a pool of live candidates.
 */
#include "graph/repair.h"

#include "graph/in_links.h"
#include "graph/insert.h"
#include "util/parallel.h"
#include "vdb.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { REPAIR_CHUNK = 256, DEAD_HOPS = 2 };

/*
 * A repaired node's candidates come from its neighbourhood two hops out,
 * not from a search, so they are fewer and farther than insertion's, and the
 * heuristic alone keeps too few of them: with half the vectors deleted,
 * recall after repair fell up to 0.02 below a fresh build's at ef 64. Filling
 * the block's free slots with the nearest candidates it pruned (the paper's
 * keepPrunedConnections) gives the repaired graph a fresh build's recall or
 * better, on clustered, uniform and text embeddings alike (tests/unit/living.c,
 * bench/living.c). Loosening the heuristic instead (Vamana's alpha) helped on
 * uniform data but cost up to 0.2 of recall on clustered data.
 */

typedef struct {
    const vdb_hnsw *graph;
    vdb_hnsw_repaired *out;
    atomic_int failed;
} repair_job;

/* What a worker needs: a visited set and a candidate pool of (limit + 1) * limit entries. */
typedef struct {
    vdb_scratch *scratch;
    vdb_candidate *pool;
    uint32_t size, capacity;
} worker_state;

static const uint32_t *block_of(const vdb_hnsw *graph, uint32_t node, uint32_t level)
{
    return level == 0 ? vdb_hnsw_links0(graph, node) : vdb_hnsw_upper_links(graph, node, level);
}

static uint32_t *repaired_block(const vdb_hnsw *graph, vdb_hnsw_repaired *out, uint32_t node, uint32_t level)
{
    if (level == 0)
        return out->links0 + (uint64_t)node * (graph->m0 + 1);
    return out->upper_links + (graph->upper_start[node] + level - 1) * (uint64_t)(graph->m + 1);
}

static int has_dead_link(const vdb_hnsw *graph, const uint32_t *block)
{
    for (uint32_t i = 0; i < block[0]; i++)
        if (vdb_hnsw_is_dead(graph, block[1 + i]))
            return 1;
    return 0;
}

/* Add the live nodes reachable from `dead` through at most `hops` deleted nodes on `level`. */
static void gather(const vdb_hnsw *graph, uint32_t origin, uint32_t dead, uint32_t level, uint32_t hops,
                   worker_state *state)
{
    const uint32_t *block = block_of(graph, dead, level);
    uint32_t limit = level == 0 ? graph->m0 : graph->m;
    for (uint32_t i = 0; block && i < block[0] && i < limit && state->size < state->capacity; i++) {
        uint32_t next = block[1 + i];
        if (next >= graph->count || next == origin || vdb_scratch_visit(state->scratch, next))
            continue;
        if (!vdb_hnsw_is_dead(graph, next))
            state->pool[state->size++] = (vdb_candidate){0, next};
        else if (hops > 1)
            gather(graph, origin, next, level, hops - 1, state);
    }
}

/* Fill a block's free slots with the nearest candidates the heuristic left out (the pool is sorted). */
static void fill_with_pruned(const worker_state *state, uint32_t limit, uint32_t *block)
{
    for (uint32_t i = 0; i < state->size && block[0] < limit; i++) {
        int kept = 0;
        for (uint32_t j = 0; j < block[0] && !kept; j++)
            kept = block[1 + j] == state->pool[i].node;
        if (!kept)
            block[1 + block[0]++] = state->pool[i].node;
    }
}

static void repair_block(const vdb_hnsw *graph, vdb_hnsw_repaired *out, uint32_t node, uint32_t level,
                         worker_state *state)
{
    const uint32_t *old = block_of(graph, node, level);
    uint32_t *fresh = repaired_block(graph, out, node, level), limit = level == 0 ? graph->m0 : graph->m;
    if (!has_dead_link(graph, old)) {
        memcpy(fresh, old, sizeof(uint32_t) * (limit + 1));
        return;
    }
    vdb_scratch_new_epoch(state->scratch);
    vdb_scratch_visit(state->scratch, node);
    state->size = 0;
    for (uint32_t i = 0; i < old[0] && i < limit; i++) {
        uint32_t next = old[1 + i];
        if (next >= graph->count || vdb_scratch_visit(state->scratch, next))
            continue;
        if (!vdb_hnsw_is_dead(graph, next)) {
            if (state->size < state->capacity)
                state->pool[state->size++] = (vdb_candidate){0, next};
        } else {
            gather(graph, node, next, level, DEAD_HOPS, state);
        }
    }
    const float *vector = vdb_hnsw_vector(graph, node);
    for (uint32_t i = 0; i < state->size; i++)
        state->pool[i].distance = graph->distance(vector, vdb_hnsw_vector(graph, state->pool[i].node), graph->dim);
    vdb_candidates_sort(state->pool, state->size);
    memset(fresh, 0, sizeof(uint32_t) * (limit + 1));
    fresh[0] = vdb_hnsw_select_neighbors(graph, state->pool, state->size, limit, fresh + 1);
    fill_with_pruned(state, limit, fresh); /* when all fit, every way around the deleted nodes is kept */
}

static void repair_chunk(void *raw, uint64_t begin, uint64_t end, uint32_t worker)
{
    (void)worker;
    repair_job *job = raw;
    const vdb_hnsw *graph = job->graph;
    worker_state state = {0};
    state.capacity = (graph->m0 + 1) * graph->m0;
    state.pool = malloc(sizeof *state.pool * state.capacity);
    if (!state.pool ||
        vdb_scratch_acquire(graph->scratch_pool, vdb_hnsw_scratch_size(graph, 0), &state.scratch) != VDB_OK) {
        atomic_store(&job->failed, 1);
        free(state.pool);
        return;
    }
    for (uint64_t node = begin; node < end; node++) {
        if (vdb_hnsw_is_dead(graph, (uint32_t)node))
            continue;
        for (uint32_t level = 0; level <= vdb_hnsw_level(graph, (uint32_t)node); level++)
            repair_block(graph, job->out, (uint32_t)node, level, &state);
    }
    vdb_scratch_release(graph->scratch_pool, state.scratch);
    free(state.pool);
}

/*
 * A live node that had in-links only from nodes whose repaired blocks left
 * it out has none after the repair, and no search would reach it: link to
 * it from its own nearest live neighbour, in a free slot or in place of that
 * neighbour's farthest link whose target has another in-link. Best effort:
 * short of memory, the repair stands as it is.
 */
static void adopt_orphans(const vdb_hnsw *graph, vdb_hnsw_repaired *out)
{
    uint32_t *in = calloc((size_t)graph->count + 1, sizeof *in);
    if (!in)
        return;
    for (uint32_t node = 0; node < graph->count; node++) {
        const uint32_t *block = repaired_block(graph, out, node, 0);
        for (uint32_t i = 0; !vdb_hnsw_is_dead(graph, node) && i < block[0]; i++)
            in[block[1 + i]]++;
    }
    for (uint32_t orphan = 0; orphan < graph->count; orphan++) {
        if (in[orphan] > 0 || orphan == out->entry || vdb_hnsw_is_dead(graph, orphan))
            continue;
        const uint32_t *own = repaired_block(graph, out, orphan, 0);
        for (uint32_t i = 0; i < own[0] && in[orphan] == 0; i++) {
            uint32_t *block = repaired_block(graph, out, own[1 + i], 0);
            if (block[0] < graph->m0) {
                block[1 + block[0]++] = orphan;
                in[orphan]++;
                continue;
            }
            const float *from = vdb_hnsw_vector(graph, own[1 + i]);
            uint32_t farthest = 0;
            float farthest_distance = -1.0f;
            for (uint32_t j = 0; j < block[0]; j++) {
                float d = graph->distance(from, vdb_hnsw_vector(graph, block[1 + j]), graph->dim);
                if (in[block[1 + j]] > 1 && d > farthest_distance) {
                    farthest = j + 1;
                    farthest_distance = d;
                }
            }
            if (farthest > 0) {
                in[block[farthest]]--;
                block[farthest] = orphan;
                in[orphan]++;
            }
        }
    }
    free(in);
}

/* The entry point, or when it was deleted, the first live node of the highest level a live node has. */
static void choose_entry(const vdb_hnsw *graph, vdb_hnsw_repaired *out)
{
    out->entry = VDB_NO_NODE;
    out->max_level = 0;
    if (graph->entry != VDB_NO_NODE && !vdb_hnsw_is_dead(graph, graph->entry)) {
        out->entry = graph->entry;
        out->max_level = graph->max_level;
        return;
    }
    for (uint32_t node = 0; node < graph->count; node++)
        if (!vdb_hnsw_is_dead(graph, node) &&
            (out->entry == VDB_NO_NODE || vdb_hnsw_level(graph, node) > out->max_level)) {
            out->entry = node;
            out->max_level = vdb_hnsw_level(graph, node);
        }
}

int vdb_hnsw_repair(const vdb_hnsw *graph, uint32_t threads, vdb_hnsw_repaired *out)
{
    *out = (vdb_hnsw_repaired){0};
    /* As large as the graph's own arrays, so that vdb_hnsw_repair_in_place can put them in their place. */
    out->links0 = calloc((size_t)graph->capacity + 1, sizeof(uint32_t) * (graph->m0 + 1));
    out->upper_links = calloc(graph->upper_capacity + 1, sizeof(uint32_t) * (graph->m + 1));
    repair_job job = {graph, out, 0};
    if (out->links0 && out->upper_links)
        vdb_parallel_for(threads, graph->count, REPAIR_CHUNK, repair_chunk, &job);
    if (!out->links0 || !out->upper_links || atomic_load(&job.failed)) {
        vdb_hnsw_repaired_free(out);
        return VDB_ENOMEM;
    }
    choose_entry(graph, out);
    adopt_orphans(graph, out);
    return VDB_OK;
}

void vdb_hnsw_repaired_free(vdb_hnsw_repaired *repaired)
{
    free(repaired->links0);
    free(repaired->upper_links);
    *repaired = (vdb_hnsw_repaired){0};
}

int vdb_hnsw_repair_in_place(vdb_hnsw *graph, uint32_t threads)
{
    vdb_hnsw_repaired repaired;
    int code = vdb_hnsw_repair(graph, threads, &repaired);
    if (code != VDB_OK)
        return code;
    free(graph->links0);
    free(graph->upper_links);
    graph->links0 = repaired.links0;
    graph->upper_links = repaired.upper_links;
    graph->entry = repaired.entry;
    graph->max_level = repaired.max_level;
    graph->dead_unrepaired = 0;
    vdb_hnsw_count_in_links(graph);
    return VDB_OK;
}
