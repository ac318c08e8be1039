/*
 * A filtered search chooses, per query, between the graph and an exact scan
 * by their expected costs, counted in distance computations:
 *  - the graph: an unfiltered search at beam width ef computes about
 *    GRAPH_DISTANCES_PER_EF * ef distances; restricted to a share s of the
 *    nodes it walks about 1/s times as far to find ef allowed ones, and asks
 *    the filter about each node it weighs;
 *  - a scan: a distance for each allowed vector, plus a question to the
 *    filter for each id it weighs: an id-table look-up per listed id, or a
 *    call of the predicate per live node.
 * A question to an allow-list costs about LOOKUP_COST of a distance. A
 * predicate's cost is anyone's guess (a C function: nanoseconds; a Python
 * one: a microsecond, tens of distances), so it is timed, together with the
 * share of nodes it allows, on a sample of the index's nodes, and kept in the
 * filter until the index changes.
 */
#include "index/filter.h"

#include "graph/search.h"
#include "util/error.h"

#include <string.h>
#include <time.h>

enum { SAMPLE = 256, SCAN_BATCH = 64 };
#define GRAPH_DISTANCES_PER_EF 12.0
#define LOOKUP_COST 0.25

typedef struct {
    const vdb_filter *filter;
    const uint64_t *ids;
} filter_context;

static int node_allowed(const void *raw, uint32_t node)
{
    const filter_context *context = raw;
    return vdb_filter_allows(context->filter, context->ids[node]);
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* What the cost model needs to know of a filter on an index. */
typedef struct {
    double share;       /* of the live nodes, allowed */
    double lookup_cost; /* of one question to the filter, in distances */
} filter_estimate;

/* Ask the predicate about SAMPLE nodes spread over the index, and time it against as many distances. */
static filter_estimate sample_predicate(const vdb_index *index, const vdb_filter *filter)
{
    const vdb_hnsw *graph = &index->graph;
    uint32_t nodes[SAMPLE], sampled = 0, allowed = 0;
    for (uint32_t i = 0; i < SAMPLE && graph->count > 0; i++) {
        uint32_t node = (uint32_t)((uint64_t)i * graph->count / SAMPLE);
        if (!vdb_hnsw_is_dead(graph, node))
            nodes[sampled++] = node;
    }
    if (sampled == 0)
        return (filter_estimate){1.0, LOOKUP_COST};
    double started = now_seconds();
    for (uint32_t i = 0; i < sampled; i++)
        allowed += vdb_filter_allows(filter, index->ids.of_node[nodes[i]]);
    double asking = now_seconds() - started;
    float distances[SCAN_BATCH];
    started = now_seconds();
    for (uint32_t i = 0; i < sampled; i += SCAN_BATCH)
        vdb_hnsw_distances(graph, vdb_hnsw_vector(graph, nodes[0]), nodes + i,
                           sampled - i < SCAN_BATCH ? sampled - i : SCAN_BATCH, distances);
    double measuring = now_seconds() - started;
    filter_estimate estimate;
    estimate.share = (allowed + 0.5) / (sampled + 1.0); /* never 0: a sample may miss a few */
    estimate.lookup_cost = measuring > 0 ? asking / measuring : LOOKUP_COST;
    if (estimate.lookup_cost < LOOKUP_COST)
        estimate.lookup_cost = LOOKUP_COST; /* a clock too coarse for a fast predicate */
    return estimate;
}

/* The estimate for a filter on this index: an allow-list's at once, a predicate's sampled once per index state. */
static filter_estimate estimate_filter(const vdb_index *index, const vdb_filter *filter)
{
    double live = vdb_hnsw_live(&index->graph);
    if (!filter->allow)
        return (filter_estimate){filter->list_count < live ? (double)filter->list_count / live : 1.0, LOOKUP_COST};
    const vdb_hnsw *graph = &index->graph;
    uint64_t nodes = graph->count ^ ((uint64_t)graph->dead_count << 32);
    vdb_filter *cache = (vdb_filter *)filter; /* the estimate is a cache, guarded by its lock */
    pthread_mutex_lock(&cache->lock);
    int known = cache->sampled_index == index && cache->sampled_nodes == nodes;
    filter_estimate estimate = {cache->share, cache->lookup_cost};
    pthread_mutex_unlock(&cache->lock);
    if (known)
        return estimate;
    estimate = sample_predicate(index, filter);
    pthread_mutex_lock(&cache->lock);
    cache->sampled_index = index;
    cache->sampled_nodes = nodes;
    cache->share = estimate.share;
    cache->lookup_cost = estimate.lookup_cost;
    pthread_mutex_unlock(&cache->lock);
    return estimate;
}

static int scan_is_cheaper(const vdb_index *index, const vdb_filter *filter, uint32_t ef)
{
    double live = vdb_hnsw_live(&index->graph);
    if (live == 0)
        return 1;
    filter_estimate estimate = estimate_filter(index, filter);
    double share = estimate.share > 1.0 / live ? estimate.share : 1.0 / live;
    double questions = filter->allow ? live : (double)filter->list_count;
    double scan = share * live + estimate.lookup_cost * questions;
    double graph = (1.0 + estimate.lookup_cost) * GRAPH_DISTANCES_PER_EF * ef / share;
    return scan <= graph;
}

/* The k nearest seen so far, in a max-heap of k. */
static void consider(vdb_heap *best, uint32_t k, vdb_candidate candidate)
{
    if (best->size < k) {
        vdb_heap_push(best, candidate, 1);
    } else if (candidate.distance < best->items[0].distance) {
        vdb_heap_pop(best, 1);
        vdb_heap_push(best, candidate, 1);
    }
}

static void consider_batch(const vdb_hnsw *graph, const float *query, const uint32_t *nodes, uint32_t count,
                           vdb_heap *best, uint32_t k)
{
    float distances[SCAN_BATCH];
    vdb_hnsw_distances(graph, query, nodes, count, distances);
    for (uint32_t i = 0; i < count; i++)
        consider(best, k, (vdb_candidate){distances[i], nodes[i]});
}

/* Every allowed live node's distance, the k nearest kept. */
static int exact_scan(const vdb_index *index, const float *query, uint32_t k, const vdb_filter *filter,
                      vdb_candidate *results, uint32_t *found)
{
    const vdb_hnsw *graph = &index->graph;
    int code = filter->allow ? VDB_OK : vdb_index_map_ids(index);
    vdb_scratch *scratch = NULL;
    if (code == VDB_OK)
        code = vdb_scratch_acquire(graph->scratch_pool, vdb_hnsw_scratch_size(graph, k), &scratch);
    if (code != VDB_OK)
        return code;
    vdb_heap *best = &scratch->results;
    best->size = 0;
    uint32_t batch[SCAN_BATCH], batched = 0;
    uint64_t weighed = filter->allow ? graph->count : filter->list_count;
    for (uint64_t i = 0; i < weighed; i++) {
        uint32_t node;
        if (filter->allow) {
            node = (uint32_t)i;
            if (vdb_hnsw_is_dead(graph, node) || !vdb_filter_allows(filter, index->ids.of_node[node]))
                continue;
        } else if ((node = vdb_ids_find(&index->ids, filter->list[i])) == VDB_NO_NODE) {
            continue;
        }
        batch[batched++] = node;
        if (batched == SCAN_BATCH) {
            consider_batch(graph, query, batch, batched, best, k);
            batched = 0;
        }
    }
    consider_batch(graph, query, batch, batched, best, k);
    *found = best->size;
    const vdb_candidate *sorted = vdb_heap_sort(best);
    memcpy(results, sorted, sizeof *results * *found); /* results may be a caller's id buffer: see api/search.c */
    vdb_scratch_release(graph->scratch_pool, scratch);
    return VDB_OK;
}

int vdb_filtered_search(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, const vdb_filter *filter,
                        vdb_filter_way way, vdb_candidate *results, uint32_t *found)
{
    if (ef == 0)
        ef = index->config.ef_search;
    if (ef < k)
        ef = k;
    if (way == VDB_FILTER_BY_SCAN || (way == VDB_FILTER_BY_COST && scan_is_cheaper(index, filter, ef)))
        return exact_scan(index, query, k, filter, results, found);
    filter_context context = {filter, index->ids.of_node};
    vdb_accept accept = {node_allowed, &context};
    return vdb_index_search(index, query, k, ef, &accept, results, found);
}
