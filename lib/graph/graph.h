/*
 * The HNSW graph: nodes 0..count-1, each with a random level. Level-0 links
 * are one fixed block per node, all blocks in one array, so a node's links
 * are one or two cache lines and the array can be a section of the index
 * file used in place: either blocks one after another, or each beside its
 * node's vector in the file's node blocks (file/format_header.h). Upper-level links are blocks of (m + 1) words: node i
 * owns blocks upper_start[i] .. upper_start[i + 1] - 1, one per level 1, 2, ...
 * A link block is [count, link 0, link 1, ...].
 */
#ifndef VDB_GRAPH_H
#define VDB_GRAPH_H

#include "codes/codes.h"
#include "kernels/distance.h"
#include "util/limits.h"
#include "util/scratch.h"
#include "vectors/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define VDB_NODE_LOCK_STRIPES 4096u /* a power of two */

enum { VDB_INSERT_CHUNK = 8 }; /* nodes a worker takes at a time when inserting */

typedef struct vdb_hnsw {
    /* shape */
    uint32_t dim;
    uint32_t m;  /* links per node on levels >= 1 */
    uint32_t m0; /* links per node on level 0 */
    uint32_t ef_construction;
    const uint8_t *narrow; /* NULL, or a byte per node: nonzero links it with a beam of narrow_ef (partitioned build) */
    uint32_t narrow_ef;
    int32_t metric;
    vdb_distance_fn distance;
    vdb_distance4_fn distance4; /* NULL for a metric without a batch kernel */

    const vdb_store *store;           /* where each node's vector is; the index owns it */
    const vdb_code_store *codes;      /* NULL, or codes that searches walk with once trained; the index owns them */
    const vdb_code_store *walk_codes; /* NULL, or int8 codes insertions walk with (graph/walk_codes.h) */
    int exact_walks;                  /* 1: insertions never make walk_codes (no memory for them) */

    /* links */
    uint32_t count;         /* nodes linked into the graph */
    uint32_t allocated;     /* nodes with link storage; links never point at or past this */
    uint32_t capacity;      /* nodes the arrays below have room for (owned graphs) */
    uint32_t *links0;       /* allocated blocks of m0 + 1 words, links0_stride words apart */
    uint32_t links0_stride; /* m0 + 1 for owned links; a file's node block for mapped ones */
    uint32_t *upper_start;
    uint32_t *upper_links;
    uint64_t upper_blocks;
    uint64_t upper_capacity;
    atomic_uint_fast64_t published; /* nodes whose insertion finished: they are reachable */
    atomic_int insert_error;        /* the first failure of the insertion running now, or VDB_OK */
    uint32_t *parents; /* owned graphs: the node one level up that node's descent ended at, or VDB_NO_NODE */
    uint32_t entry;    /* VDB_NO_NODE when empty */
    uint32_t max_level;
    int owns_links; /* 0 when the arrays are sections of a mapped file */

    atomic_uint *in_links0; /* owned graphs: each node's level-0 in-links (graph/in_links.h) */

    /* deleted nodes: searches walk through them but never return them, and new nodes never link to them */
    uint64_t *dead; /* a bit per node of capacity, NULL until the first delete */
    uint32_t dead_count;
    uint32_t dead_unrepaired; /* deleted since the links were last repaired around deleted nodes */

    /* building */
    double level_multiplier; /* 1 / ln(m) */
    uint64_t rng_state;
    pthread_mutex_t *node_locks;
    pthread_mutex_t entry_lock;

    vdb_scratch_pool *scratch_pool;

    /* rows read through a file mapping: a search may wait on the disk for them */
    uintptr_t page_mask;  /* page size - 1 */
    atomic_int rows_cold; /* recent searches waited on the disk: request rows before reading them */
} vdb_hnsw;

/* An empty graph over `store` that will own its links. VDB_OK or VDB_ENOMEM. */
int vdb_hnsw_init(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t ef_construction,
                  uint64_t seed);

/*
 * The same with m0 links per node on level 0 instead of 2 * m: the upper
 * layers of a partitioned build, whose level 0 becomes another graph's
 * level 1 (partitioned/upper_layers.h).
 */
int vdb_hnsw_init_m0(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t m0,
                     uint32_t ef_construction, uint64_t seed);

/* The link sections of a saved graph, as the file layer decodes them. */
typedef struct vdb_hnsw_sections {
    const uint32_t *links0; /* count blocks of m0 + 1 words, links0_stride words apart */
    uint32_t links0_stride;
    const uint32_t *upper_start; /* count + 1 words, then the upper blocks */
    uint32_t count;
    uint64_t upper_blocks;
    uint32_t entry; /* VDB_NO_NODE when count is 0 */
    uint32_t max_level;
} vdb_hnsw_sections;

/*
 * An owned graph over `store` whose links start as a copy of `sections`, so
 * that nodes can be added to a saved graph (an index opened writable). Its
 * nodes have no parents (file/save_order.h): they keep the file's order.
 * VDB_OK or VDB_ENOMEM.
 */
int vdb_hnsw_init_copy(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t ef_construction,
                       uint64_t seed, const vdb_hnsw_sections *sections);

/* A read-only graph over `store` whose links are used in place from `sections`. VDB_OK or VDB_ENOMEM. */
int vdb_hnsw_init_mapped(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t ef_construction,
                         const vdb_hnsw_sections *sections);

void vdb_hnsw_destroy(vdb_hnsw *graph);

/*
 * Make room for `more` nodes after the current ones, so that
 * vdb_hnsw_insert on `threads` workers cannot fail for lack of memory. Also
 * draws their levels, so call it once per batch, then insert exactly that
 * batch. VDB_OK, VDB_ERANGE (past VDB_MAX_NODES) or VDB_ENOMEM, and then nothing changed.
 */
int vdb_hnsw_reserve(vdb_hnsw *graph, uint32_t more, uint32_t threads);

/*
 * Room for `nodes` nodes in all, so that later vdb_hnsw_reserve calls up to
 * that many do not move the arrays (a graph built in batches). VDB_OK or
 * VDB_ENOMEM.
 */
int vdb_hnsw_reserve_nodes(vdb_hnsw *graph, uint32_t nodes);

/* The same with the new nodes' levels given (each <= VDB_MAX_LEVEL) instead of drawn. */
int vdb_hnsw_reserve_levels(vdb_hnsw *graph, uint32_t more, uint32_t threads, const uint8_t *levels);

/* Room to mark every node the graph has room for as deleted. VDB_OK or VDB_ENOMEM, and nothing changed. */
int vdb_hnsw_reserve_dead(vdb_hnsw *graph);

/* Mark a live node deleted (after vdb_hnsw_reserve_dead). */
void vdb_hnsw_mark_dead(vdb_hnsw *graph, uint32_t node);

static inline int vdb_hnsw_is_dead(const vdb_hnsw *graph, uint32_t node)
{
    return graph->dead && (graph->dead[node / 64] >> (node % 64) & 1);
}

/* Nodes in the graph that are not deleted. */
static inline uint32_t vdb_hnsw_live(const vdb_hnsw *graph) { return graph->count - graph->dead_count; }

/* Whether searches walk with codes (insertion never does). */
static inline int vdb_hnsw_coded(const vdb_hnsw *graph) { return graph->codes && graph->codes->trained; }

/* What a search of this graph with beam width ef needs room for. */
static inline vdb_scratch_size vdb_hnsw_scratch_size(const vdb_hnsw *graph, uint32_t ef)
{
    uint32_t query_floats =
        vdb_hnsw_coded(graph) ? vdb_codes_query_floats(graph->codes->kind, graph->dim, graph->codes->bytes) : 0;
    return (vdb_scratch_size){graph->allocated, graph->m0 + 1, ef, query_floats};
}

/* What one insertion worker needs room for: a beam of ef_construction, and a node made ready for int8 rows. */
static inline vdb_scratch_size vdb_hnsw_insert_scratch_size(const vdb_hnsw *graph)
{
    vdb_scratch_size size = vdb_hnsw_scratch_size(graph, graph->ef_construction);
    if (size.query_floats < graph->dim)
        size.query_floats = graph->dim;
    return size;
}

static inline const float *vdb_hnsw_vector(const vdb_hnsw *graph, uint32_t node)
{
    return vdb_store_get(graph->store, node);
}

/*
 * Start reading node's row from its file if it is not in memory, and
 * return at once (MADV_WILLNEED): several requested together are read
 * together. Nothing for a row on the heap.
 */
void vdb_hnsw_request_row(const vdb_hnsw *graph, uint32_t node);

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
    return graph->links0 + (uint64_t)node * graph->links0_stride;
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

#endif
