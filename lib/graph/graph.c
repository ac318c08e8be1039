/*
 * The graph's storage: set-up over owned or mapped links, node levels, and
 * growth. Owned link arrays grow by half again, zeroed, so a reserved node's
 * blocks are empty until insertion fills them.
 */
#include "graph/graph.h"

#include "graph/in_links.h"

#include "util/parallel.h"
#include "util/random.h"
#include "vdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint32_t random_level(vdb_hnsw *graph)
{
    double uniform = (double)(vdb_next_random(&graph->rng_state) >> 11) * 0x1.0p-53; /* [0, 1) */
    double level = -log(1.0 - uniform) * graph->level_multiplier;
    return level >= VDB_MAX_LEVEL ? VDB_MAX_LEVEL : (uint32_t)level;
}

static int init_common(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t ef_construction)
{
    memset(graph, 0, sizeof *graph);
    graph->dim = store->dim;
    graph->m = m;
    graph->m0 = 2 * m;
    graph->links0_stride = graph->m0 + 1;
    graph->ef_construction = ef_construction;
    graph->metric = metric;
    graph->distance = vdb_distance_for(metric);
    graph->distance4 = vdb_distance4_for(metric);
    graph->store = store;
    graph->page_mask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1;
    graph->entry = VDB_NO_NODE;
    graph->scratch_pool = malloc(sizeof *graph->scratch_pool);
    if (!graph->scratch_pool)
        return VDB_ENOMEM;
    vdb_scratch_pool_init(graph->scratch_pool);
    pthread_mutex_init(&graph->entry_lock, NULL);
    return VDB_OK;
}

int vdb_hnsw_init_mapped(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t ef_construction,
                         const vdb_hnsw_sections *sections)
{
    int code = init_common(graph, store, metric, m, ef_construction);
    if (code != VDB_OK)
        return code;
    /* The arrays stay const in practice: a graph that does not own its links never writes them. */
    graph->links0 = (uint32_t *)sections->links0;
    graph->links0_stride = sections->links0_stride;
    graph->upper_start = (uint32_t *)sections->upper_start;
    graph->upper_links = graph->upper_start + sections->count + 1;
    graph->count = graph->allocated = graph->capacity = sections->count;
    graph->upper_blocks = graph->upper_capacity = sections->upper_blocks;
    graph->entry = sections->entry;
    graph->max_level = sections->max_level;
    return VDB_OK;
}

int vdb_hnsw_init(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t ef_construction,
                  uint64_t seed)
{
    return vdb_hnsw_init_m0(graph, store, metric, m, 2 * m, ef_construction, seed);
}

int vdb_hnsw_init_m0(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t m0,
                     uint32_t ef_construction, uint64_t seed)
{
    int code = init_common(graph, store, metric, m, ef_construction);
    if (code != VDB_OK)
        return code;
    graph->m0 = m0;
    graph->links0_stride = m0 + 1;
    graph->level_multiplier = 1.0 / log((double)m);
    graph->rng_state = seed;
    graph->owns_links = 1;
    graph->upper_start = calloc(1, sizeof *graph->upper_start);
    graph->node_locks = malloc(sizeof *graph->node_locks * VDB_NODE_LOCK_STRIPES);
    if (!graph->upper_start || !graph->node_locks) {
        vdb_hnsw_destroy(graph);
        return VDB_ENOMEM;
    }
    for (uint32_t i = 0; i < VDB_NODE_LOCK_STRIPES; i++)
        pthread_mutex_init(&graph->node_locks[i], NULL);
    return VDB_OK;
}

void vdb_hnsw_destroy(vdb_hnsw *graph)
{
    if (graph->owns_links) {
        free(graph->links0);
        free(graph->parents);
        free(graph->upper_start);
        free(graph->upper_links);
        free(graph->in_links0);
    }
    free(graph->dead);
    if (graph->node_locks) {
        for (uint32_t i = 0; i < VDB_NODE_LOCK_STRIPES; i++)
            pthread_mutex_destroy(&graph->node_locks[i]);
        free(graph->node_locks);
    }
    if (graph->scratch_pool) {
        vdb_scratch_pool_destroy(graph->scratch_pool);
        free(graph->scratch_pool);
        pthread_mutex_destroy(&graph->entry_lock);
    }
    memset(graph, 0, sizeof *graph);
}

void vdb_hnsw_request_row(const vdb_hnsw *graph, uint32_t node)
{
    if (node >= graph->store->mapped_count)
        return; /* on the heap: nothing to read */
    uintptr_t begin = (uintptr_t)vdb_hnsw_vector(graph, node), end = begin + sizeof(float) * graph->dim;
    uintptr_t page = begin & ~graph->page_mask;
    (void)madvise((void *)page, end - page, MADV_WILLNEED);
}

static uint64_t dead_words(uint64_t nodes) { return nodes / 64 + 1; }

/* Grow *array from `old_count` elements to `new_count`, zeroing the new part. VDB_OK or VDB_ENOMEM. */
static int grow_zeroed(void *array, size_t element, uint64_t old_count, uint64_t new_count)
{
    if (new_count > SIZE_MAX / element)
        return VDB_ENOMEM;
    unsigned char *grown = realloc(*(void **)array, element * new_count);
    if (!grown)
        return VDB_ENOMEM;
    memset(grown + element * old_count, 0, element * (new_count - old_count));
    *(void **)array = grown;
    return VDB_OK;
}

int vdb_hnsw_reserve_nodes(vdb_hnsw *graph, uint32_t nodes)
{
    if (nodes <= graph->capacity)
        return VDB_OK;
    uint64_t capacity = (uint64_t)graph->capacity * 3 / 2;
    if (capacity < nodes)
        capacity = nodes;
    if (capacity > VDB_MAX_NODES)
        capacity = VDB_MAX_NODES;
    int code = grow_zeroed(&graph->links0, sizeof(uint32_t) * (graph->m0 + 1), graph->capacity, capacity);
    if (code == VDB_OK)
        code = grow_zeroed(&graph->parents, sizeof(uint32_t), graph->capacity, capacity);
    if (code == VDB_OK)
        code = grow_zeroed(&graph->upper_start, sizeof(uint32_t), graph->capacity + 1, capacity + 1);
    if (code == VDB_OK)
        code = grow_zeroed(&graph->in_links0, sizeof(atomic_uint), graph->capacity, capacity);
    if (code == VDB_OK && graph->dead)
        code = grow_zeroed(&graph->dead, sizeof(uint64_t), dead_words(graph->capacity), dead_words(capacity));
    if (code == VDB_OK)
        graph->capacity = (uint32_t)capacity;
    return code;
}

int vdb_hnsw_reserve_dead(vdb_hnsw *graph)
{
    return graph->dead ? VDB_OK : grow_zeroed(&graph->dead, sizeof(uint64_t), 0, dead_words(graph->capacity));
}

void vdb_hnsw_mark_dead(vdb_hnsw *graph, uint32_t node)
{
    graph->dead[node / 64] |= UINT64_C(1) << (node % 64);
    graph->dead_count++;
    graph->dead_unrepaired++;
}

static int reserve_upper_blocks(vdb_hnsw *graph, uint64_t blocks)
{
    if (blocks <= graph->upper_capacity)
        return VDB_OK;
    uint64_t capacity = graph->upper_capacity * 3 / 2 + 64;
    if (capacity < blocks)
        capacity = blocks;
    int code = grow_zeroed(&graph->upper_links, sizeof(uint32_t) * (graph->m + 1), graph->upper_capacity, capacity);
    if (code == VDB_OK)
        graph->upper_capacity = capacity;
    return code;
}

int vdb_hnsw_init_copy(vdb_hnsw *graph, const vdb_store *store, int32_t metric, uint32_t m, uint32_t ef_construction,
                       uint64_t seed, const vdb_hnsw_sections *sections)
{
    /* A different stream of levels from the one that built the file, or new nodes would repeat its levels. */
    int code =
        vdb_hnsw_init(graph, store, metric, m, ef_construction, seed ^ (0x9E3779B97F4A7C15ull * sections->count));
    if (code == VDB_OK)
        code = vdb_hnsw_reserve_nodes(graph, sections->count);
    if (code == VDB_OK)
        code = reserve_upper_blocks(graph, sections->upper_blocks);
    if (code != VDB_OK) {
        vdb_hnsw_destroy(graph);
        return code;
    }
    uint32_t count = sections->count;
    memcpy(graph->upper_start, sections->upper_start, sizeof(uint32_t) * ((uint64_t)count + 1));
    if (count > 0) { /* else the arrays are still NULL */
        for (uint32_t node = 0; node < count; node++)
            memcpy(vdb_hnsw_links0(graph, node), sections->links0 + (uint64_t)node * sections->links0_stride,
                   sizeof(uint32_t) * (graph->m0 + 1));
        memset(graph->parents, 0xFF, sizeof(uint32_t) * count); /* VDB_NO_NODE */
    }
    if (sections->upper_blocks > 0)
        memcpy(graph->upper_links, sections->upper_start + count + 1,
               sizeof(uint32_t) * (graph->m + 1) * sections->upper_blocks);
    graph->count = graph->allocated = count;
    graph->upper_blocks = sections->upper_blocks;
    graph->entry = sections->entry;
    graph->max_level = sections->max_level;
    vdb_hnsw_count_in_links(graph);
    return VDB_OK;
}

/* Have `workers` scratches in the pool, sized for the graph, so that insertion allocates nothing. */
static int warm_scratch_pool(vdb_hnsw *graph, uint32_t workers)
{
    vdb_scratch **taken = malloc(sizeof *taken * workers);
    if (!taken)
        return VDB_ENOMEM;
    uint32_t held = 0;
    int code = VDB_OK;
    while (held < workers && (code = vdb_scratch_acquire(graph->scratch_pool, vdb_hnsw_insert_scratch_size(graph),
                                                         &taken[held])) == VDB_OK)
        held++;
    while (held > 0)
        vdb_scratch_release(graph->scratch_pool, taken[--held]);
    free(taken);
    return code;
}

int vdb_hnsw_reserve(vdb_hnsw *graph, uint32_t more, uint32_t threads)
{
    return vdb_hnsw_reserve_levels(graph, more, threads, NULL);
}

int vdb_hnsw_reserve_levels(vdb_hnsw *graph, uint32_t more, uint32_t threads, const uint8_t *levels)
{
    if (more > VDB_MAX_NODES - graph->allocated)
        return VDB_ERANGE;
    uint32_t first = graph->allocated, end = first + more;
    int code = vdb_hnsw_reserve_nodes(graph, end);
    if (code != VDB_OK)
        return code;

    uint64_t saved_rng = graph->rng_state;
    for (uint32_t node = first; node < end; node++) {
        uint64_t start = graph->upper_start[node], level = levels ? levels[node - first] : random_level(graph);
        if (start + level > UINT32_MAX) {
            graph->rng_state = saved_rng;
            return VDB_ERANGE;
        }
        graph->upper_start[node + 1] = (uint32_t)(start + level);
    }
    if ((code = reserve_upper_blocks(graph, graph->upper_start[end])) != VDB_OK) {
        graph->rng_state = saved_rng;
        return code;
    }
    uint32_t old_allocated = graph->allocated;
    graph->allocated = end;
    if ((code = warm_scratch_pool(graph, vdb_parallel_workers(threads, more, VDB_INSERT_CHUNK))) != VDB_OK) {
        graph->allocated = old_allocated;
        graph->rng_state = saved_rng;
        return code;
    }
    graph->upper_blocks = graph->upper_start[end];
    return VDB_OK;
}
