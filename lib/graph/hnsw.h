/*
 * The HNSW graph: nodes 0..count-1, each with a random level. Level-0 links
 * are one fixed block per node, all blocks in one array, so a node's links
 * are one or two cache lines and the array can be a section of the index
 * file used in place. Upper-level links are blocks of (m + 1) words: node i
 * owns blocks upper_start[i] .. upper_start[i + 1] - 1, one per level 1, 2, ...
 * A link block is [count, link 0, link 1, ...].
 */
#ifndef VDB_HNSW_H
#define VDB_HNSW_H

#include "kernels/distance.h"
#include "util/visited.h"
#include "util/limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define VDB_NO_NODE UINT32_MAX
#define VDB_NODE_LOCK_STRIPES 4096u /* a power of two */

typedef struct vdb_hnsw {
    /* shape */
    uint32_t dim;
    uint32_t m;  /* links per node on levels >= 1 */
    uint32_t m0; /* links per node on level 0 */
    uint32_t ef_construction;
    vdb_distance_fn distance;
    vdb_distance4_fn distance4; /* NULL for a metric without a batch kernel */

    /* where node i's vector is: rows + stride * (node_rows ? node_rows[i] : i) */
    const float *rows;
    uint64_t stride;
    const uint64_t *node_rows;

    /* links */
    uint32_t count;     /* nodes linked into the graph */
    uint32_t allocated; /* nodes with link storage; links never point at or past this */
    uint32_t capacity;  /* nodes the arrays below have room for (owned graphs) */
    uint32_t *links0;   /* allocated * (m0 + 1) words */
    uint32_t *upper_start;
    uint32_t *upper_links;
    uint64_t upper_blocks;
    uint64_t upper_capacity;
    atomic_uint_fast64_t published; /* nodes whose insertion finished: they are reachable */
    uint32_t *parents; /* owned graphs: the node one level up that node's descent ended at, or VDB_NO_NODE */
    uint32_t entry;    /* VDB_NO_NODE when empty */
    uint32_t max_level;
    int owns_links; /* 0 when the arrays are sections of a mapped file */

    /* building */
    double level_multiplier; /* 1 / ln(m) */
    uint64_t rng_state;
    pthread_mutex_t *node_locks;
    pthread_mutex_t entry_lock;

    vdb_scratch_pool *scratch_pool;

    /* rows read through a file mapping: a search may wait on the disk for them */
    int rows_mapped;
    uintptr_t page_mask;  /* page size - 1 */
    atomic_int rows_cold; /* recent searches waited on the disk: request rows before reading them */
} vdb_hnsw;

/* An empty graph that will own its links. */
int vdb_hnsw_init(vdb_hnsw *graph, uint32_t dim, int32_t metric, uint32_t m, uint32_t ef_construction, uint64_t seed);

/* A read-only graph whose links live in a mapped file (set the link fields after this). */
int vdb_hnsw_init_mapped(vdb_hnsw *graph, uint32_t dim, int32_t metric, uint32_t m);

void vdb_hnsw_destroy(vdb_hnsw *graph);

/*
 * Make room for `more` nodes after the current ones, so that
 * vdb_hnsw_insert on `threads` workers cannot fail for lack of memory. Also
 * draws their levels, so call it once per batch, then insert exactly that batch.
 */
int vdb_hnsw_reserve(vdb_hnsw *graph, uint32_t more, uint32_t threads);

/* Link the `more` reserved nodes in, on `threads` workers. Their vectors must be readable. */
void vdb_hnsw_insert(vdb_hnsw *graph, uint32_t more, uint32_t threads);

/*
 * One node's insertion in its two steps, which vdb_hnsw_insert runs back to
 * back on each worker: begin chooses the node's links while no other node
 * can reach it; end links its neighbours back to it, which makes it
 * reachable. Tests call them apart to replay an interleaving of threads.
 */
typedef struct {
    uint32_t node;
    uint64_t published_before; /* nodes reachable when its search began */
    uint32_t lowest_top;       /* the levels it got links on: 0 .. lowest_top */
} vdb_hnsw_pending;

vdb_hnsw_pending vdb_hnsw_insert_begin(vdb_hnsw *graph, uint32_t node, vdb_scratch *scratch);
void vdb_hnsw_insert_end(vdb_hnsw *graph, const vdb_hnsw_pending *pending, vdb_scratch *scratch);

static inline const float *vdb_hnsw_vector(const vdb_hnsw *graph, uint32_t node)
{
    uint64_t row = graph->node_rows ? graph->node_rows[node] : node;
    return graph->rows + graph->stride * row;
}

/* out[i] = distance from query to node nodes[i], four at a time where the metric has a batch kernel. */
static inline void vdb_hnsw_distances(const vdb_hnsw *graph, const float *query, const uint32_t *nodes, uint32_t count,
                                      float *out)
{
    uint32_t i = 0;
    if (graph->distance4)
        for (; i + 4 <= count; i += 4) {
            const float *rows[4] = {vdb_hnsw_vector(graph, nodes[i]), vdb_hnsw_vector(graph, nodes[i + 1]),
                                    vdb_hnsw_vector(graph, nodes[i + 2]), vdb_hnsw_vector(graph, nodes[i + 3])};
            graph->distance4(query, rows, graph->dim, out + i);
        }
    for (; i < count; i++)
        out[i] = graph->distance(query, vdb_hnsw_vector(graph, nodes[i]), graph->dim);
}

static inline uint32_t *vdb_hnsw_links0(const vdb_hnsw *graph, uint32_t node)
{
    return graph->links0 + (uint64_t)node * (graph->m0 + 1);
}

/* Node's link block on level >= 1, or NULL if the node does not reach that level. */
static inline uint32_t *vdb_hnsw_upper_links(const vdb_hnsw *graph, uint32_t node, uint32_t level)
{
    uint64_t first = graph->upper_start[node], end = graph->upper_start[node + 1];
    if (end > graph->upper_blocks || first + level > end)
        return NULL; /* also guards against a corrupt file */
    return graph->upper_links + (first + level - 1) * (uint64_t)(graph->m + 1);
}

/* The lock guarding a node's link blocks while building; several nodes share one. */
static inline pthread_mutex_t *vdb_hnsw_node_lock(const vdb_hnsw *graph, uint32_t node)
{
    return &graph->node_locks[node & (VDB_NODE_LOCK_STRIPES - 1)];
}

static inline uint32_t vdb_hnsw_level(const vdb_hnsw *graph, uint32_t node)
{
    return graph->upper_start[node + 1] - graph->upper_start[node];
}

/*
 * k nearest of query among the linked nodes, nearest first: ids[i] gets
 * labels[node], distances[i] (when not NULL) its distance. Returns how many
 * were found, or -1 when out of memory. Read-only on the graph: any number
 * may run at once while nothing is inserting.
 */
int vdb_hnsw_search(const vdb_hnsw *graph, const float *query, uint32_t k, uint32_t ef, const uint64_t *labels,
                    uint64_t *ids, float *distances);

#endif
