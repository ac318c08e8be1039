/*
 * The public functions: argument checks, handle lifetime, and the order of
 * steps that makes vdb_add and vdb_build all-or-nothing (check everything,
 * reserve all memory, then change). No algorithm lives here.
 */
#include "util/error.h"
#include "file/format.h"
#include "graph/insert.h"
#include "graph/search.h"
#include "index/index.h"
#include "util/parallel.h"
#include "util/limits.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { SEARCH_CHUNK = 4 };

#define STRINGIFY(x) #x
#define VERSION_TEXT(a, b, c) STRINGIFY(a) "." STRINGIFY(b) "." STRINGIFY(c)

void vdb_config_init(vdb_config *cfg)
{
    if (!cfg)
        return;
    *cfg = (vdb_config){.version = VDB_CONFIG_VERSION,
                        .metric = VDB_METRIC_L2,
                        .m = 16,
                        .ef_construction = 200,
                        .ef_search = 64,
                        .seed = 42};
}

static int check_config(const vdb_config *cfg, int dim_required)
{
    if (!cfg)
        return vdb_fail(VDB_EINVAL, "config is NULL");
    if (cfg->version != VDB_CONFIG_VERSION)
        return vdb_fail(VDB_EINVAL, "config version %u is not %d: initialise it with vdb_config_init", cfg->version,
                        VDB_CONFIG_VERSION);
    if ((dim_required && cfg->dim == 0) || cfg->dim > VDB_MAX_DIM)
        return vdb_fail(VDB_EINVAL, "dimension %u is outside 1..%u", cfg->dim, VDB_MAX_DIM);
    if (cfg->metric < VDB_METRIC_L2 || cfg->metric > VDB_METRIC_COSINE)
        return vdb_fail(VDB_EINVAL, "unknown metric %d", cfg->metric);
    if (cfg->m < VDB_MIN_M || cfg->m > VDB_MAX_M)
        return vdb_fail(VDB_EINVAL, "m %u is outside %u..%u", cfg->m, VDB_MIN_M, VDB_MAX_M);
    if (cfg->ef_construction == 0 || cfg->ef_search == 0)
        return vdb_fail(VDB_EINVAL, "ef_construction and ef_search must be at least 1");
    if (cfg->threads > VDB_MAX_THREADS)
        return vdb_fail(VDB_EINVAL, "threads %u is over %u", cfg->threads, VDB_MAX_THREADS);
    if (cfg->reserved != 0)
        return vdb_fail(VDB_EINVAL, "config.reserved must be 0");
    return VDB_OK;
}

/* Index of the first row holding NaN or Inf, or n when all are finite. */
static uint64_t first_non_finite(const float *rows, uint64_t n, uint32_t dim, uint64_t stride)
{
    for (uint64_t row = 0; row < n; row++)
        for (uint32_t i = 0; i < dim; i++)
            if (!isfinite(rows[row * stride + i]))
                return row;
    return n;
}

static vdb_index *new_index(const vdb_config *cfg)
{
    vdb_index *index = calloc(1, sizeof *index);
    if (index)
        index->config = *cfg;
    return index;
}

int vdb_create(vdb_index **out, const vdb_config *cfg)
{
    if (!out)
        return vdb_fail(VDB_EINVAL, "out is NULL");
    int code = check_config(cfg, 1);
    if (code != VDB_OK)
        return code;
    vdb_index *index = new_index(cfg);
    if (!index)
        return vdb_fail(VDB_ENOMEM, "out of memory creating an index");
    index->kind = VDB_INDEX_OWNED;
    vdb_store_init_owned(&index->store, cfg->dim);
    if (vdb_hnsw_init(&index->graph, &index->store, cfg->metric, cfg->m, cfg->ef_construction, cfg->seed) != VDB_OK) {
        free(index);
        return vdb_fail(VDB_ENOMEM, "out of memory creating an index");
    }
    *out = index;
    return VDB_OK;
}

int vdb_map_vectors(vdb_index **out, const char *vectors_path, const vdb_config *cfg)
{
    if (!out || !vectors_path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "vectors_path" : "out");
    int code = check_config(cfg, 0);
    if (code != VDB_OK)
        return code;
    vdb_index *index = new_index(cfg);
    if (!index)
        return vdb_fail(VDB_ENOMEM, "out of memory creating an index");
    index->kind = VDB_INDEX_OVER_FILE;
    if ((code = vdb_mapping_open(&index->file, vectors_path, "vector file")) != VDB_OK ||
        (code = vdb_vector_view_parse(&index->view, &index->file, vectors_path, cfg->dim)) != VDB_OK) {
        vdb_close(index);
        return code;
    }
    const vdb_vector_view *view = &index->view;
    if (view->count > VDB_MAX_NODES) {
        code = vdb_fail(VDB_ERANGE, "vector file '%s' has %llu rows, more than an index holds", vectors_path,
                        (unsigned long long)view->count);
        vdb_close(index);
        return code;
    }
    index->config.dim = view->dim;
    vdb_store_init_owned(&index->store, view->dim); /* no rows until vdb_build links some */
    if (!vdb_labels_init_rows(&index->labels, view->count) ||
        vdb_hnsw_init(&index->graph, &index->store, cfg->metric, cfg->m, cfg->ef_construction, cfg->seed) != VDB_OK) {
        vdb_close(index);
        return vdb_fail(VDB_ENOMEM, "out of memory mapping '%s'", vectors_path);
    }
    vdb_mapping_advise(&index->file, 0, index->file.length, MADV_RANDOM);
    *out = index;
    return VDB_OK;
}

static int check_writable(const vdb_index *index, vdb_index_kind wanted, const char *call)
{
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    if (index->kind == VDB_INDEX_OPENED)
        return vdb_fail(VDB_EREADONLY, "%s: an index opened from a file is read-only", call);
    if (index->kind != wanted)
        return wanted == VDB_INDEX_OWNED
                   ? vdb_fail(VDB_EREADONLY, "vdb_add: this index's vectors live in a read-only vector file; "
                                             "link its rows with vdb_build")
                   : vdb_fail(VDB_EINVAL, "vdb_build links rows of a mapped vector file; this index takes vdb_add");
    return VDB_OK;
}

/* Graph room for n more nodes: the last step that can fail before an index changes. */
static int reserve_graph(vdb_index *index, uint64_t n)
{
    if (n > VDB_MAX_NODES - index->graph.allocated)
        return vdb_fail(VDB_ERANGE, "the index cannot hold %llu more vectors", (unsigned long long)n);
    int code = vdb_hnsw_reserve(&index->graph, (uint32_t)n, index->config.threads);
    if (code != VDB_OK)
        return code == VDB_ERANGE ? vdb_fail(code, "the index cannot hold %llu more vectors", (unsigned long long)n)
                                  : vdb_fail(code, "out of memory adding %llu vectors", (unsigned long long)n);
    return VDB_OK;
}

/* Link the nodes reserve_graph made room for; their rows and ids are in place. */
static int finish_insert(vdb_index *index, uint64_t n)
{
    int code = vdb_hnsw_insert(&index->graph, (uint32_t)n, index->config.threads);
    if (code != VDB_OK)
        return vdb_fail(code,
                        "out of memory while linking %llu vectors: they are in the index, but some with "
                        "fewer links than a search would find for them",
                        (unsigned long long)n);
    return VDB_OK;
}

int vdb_build(vdb_index *index, uint64_t first, uint64_t count)
{
    int code = check_writable(index, VDB_INDEX_OVER_FILE, "vdb_build");
    if (code != VDB_OK)
        return code;
    const vdb_vector_view *view = &index->view;
    if (first > view->count || count > view->count - first)
        return vdb_fail(VDB_ERANGE, "rows %llu..%llu are past the end of the vector file (%llu rows)",
                        (unsigned long long)first, (unsigned long long)(first + count),
                        (unsigned long long)view->count);
    for (uint64_t row = first; row < first + count; row++) {
        if (vdb_labels_contains(&index->labels, row))
            return vdb_fail(VDB_EEXIST, "row %llu is already in the index", (unsigned long long)row);
        if (!vdb_vector_view_row_ok(view, row))
            return vdb_fail(VDB_EFORMAT, ".fvecs row %llu does not have dimension %u", (unsigned long long)row,
                            view->dim);
    }
    if (count == 0)
        return VDB_OK;
    uint64_t bad = first_non_finite(vdb_vector_view_row(view, first), count, view->dim, view->stride);
    if (bad < count)
        return vdb_fail(VDB_EINVAL, "row %llu holds NaN or Inf", (unsigned long long)(first + bad));

    if (!vdb_labels_reserve(&index->labels, count) ||
        vdb_store_reserve_file_rows(&index->store, view->first_row, view->stride, first, (uint32_t)count) != VDB_OK)
        return vdb_fail(VDB_ENOMEM, "out of memory building %llu rows", (unsigned long long)count);
    index->ids = index->labels.ids; /* the ids array may have moved */
    if ((code = reserve_graph(index, count)) != VDB_OK)
        return code;
    vdb_store_link_file_rows(&index->store, view->first_row, view->stride, first, (uint32_t)count);
    for (uint64_t row = first; row < first + count; row++)
        vdb_labels_append(&index->labels, row);
    return finish_insert(index, count);
}

static int compare_ids(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Ids must be new, distinct and not UINT64_MAX (the "no result" marker). */
static int check_new_ids(const vdb_index *index, const uint64_t *ids, uint64_t n)
{
    uint64_t next = index->labels.count;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t id = ids ? ids[i] : next + i;
        if (id == UINT64_MAX)
            return vdb_fail(VDB_EINVAL, "id UINT64_MAX (row %llu) is reserved", (unsigned long long)i);
        if (vdb_labels_contains(&index->labels, id))
            return vdb_fail(VDB_EEXIST, "id %llu (row %llu) is already in the index", (unsigned long long)id,
                            (unsigned long long)i);
    }
    if (!ids || n < 2)
        return VDB_OK;
    uint64_t *sorted = malloc(sizeof *sorted * n);
    if (!sorted)
        return vdb_fail(VDB_ENOMEM, "out of memory checking %llu ids", (unsigned long long)n);
    memcpy(sorted, ids, sizeof *sorted * n);
    qsort(sorted, n, sizeof *sorted, compare_ids);
    int code = VDB_OK;
    for (uint64_t i = 1; i < n && code == VDB_OK; i++)
        if (sorted[i] == sorted[i - 1])
            code = vdb_fail(VDB_EEXIST, "id %llu appears twice in the batch", (unsigned long long)sorted[i]);
    free(sorted);
    return code;
}

int vdb_add(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids)
{
    int code = check_writable(index, VDB_INDEX_OWNED, "vdb_add");
    if (code != VDB_OK)
        return code;
    if (n == 0)
        return VDB_OK;
    if (!vectors)
        return vdb_fail(VDB_EINVAL, "vectors is NULL");
    if (n > VDB_MAX_NODES - index->graph.allocated)
        return vdb_fail(VDB_ERANGE, "the index cannot hold %llu more vectors", (unsigned long long)n);
    uint32_t dim = index->config.dim;
    uint64_t bad = first_non_finite(vectors, n, dim, dim);
    if (bad < n)
        return vdb_fail(VDB_EINVAL, "vector %llu holds NaN or Inf", (unsigned long long)bad);
    if ((code = check_new_ids(index, ids, n)) != VDB_OK)
        return code;

    if (vdb_store_reserve(&index->store, n) != VDB_OK || !vdb_labels_reserve(&index->labels, n))
        return vdb_fail(VDB_ENOMEM, "out of memory adding %llu vectors", (unsigned long long)n);
    index->ids = index->labels.ids;
    if ((code = reserve_graph(index, n)) != VDB_OK)
        return code;

    uint64_t next = index->labels.count;
    vdb_store_append(&index->store, vectors, n);
    for (uint64_t i = 0; i < n; i++)
        vdb_labels_append(&index->labels, ids ? ids[i] : next + i);
    return finish_insert(index, n);
}

static int check_search(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, const uint64_t *ids)
{
    if (!index || !queries || !ids)
        return vdb_fail(VDB_EINVAL, "%s is NULL", !index ? "index" : !queries ? "query" : "ids");
    if (k == 0)
        return vdb_fail(VDB_EINVAL, "k must be at least 1");
    uint64_t bad = first_non_finite(queries, nq, index->config.dim, index->config.dim);
    if (bad < nq)
        return vdb_fail(VDB_EINVAL, "query %llu holds NaN or Inf", (unsigned long long)bad);
    return VDB_OK;
}

_Static_assert(sizeof(vdb_candidate) == sizeof(uint64_t), "a result (distance, node) fits an id's slot");

/*
 * One query's search, its ids and distances padded with "no result" past
 * what was found. The graph leaves its (distance, node) results in the
 * caller's ids buffer, each in the slot of the id it becomes, so a search
 * allocates nothing; memcpy keeps the two types' accesses apart.
 */
static int search_one(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, uint64_t *ids,
                      float *distances, uint32_t *found)
{
    uint32_t count = 0;
    int code =
        vdb_hnsw_search(&index->graph, query, k, ef ? ef : index->config.ef_search, NULL, (vdb_candidate *)ids, &count);
    if (code != VDB_OK)
        return code;
    for (uint32_t i = 0; i < k; i++) {
        vdb_candidate result = {INFINITY, VDB_NO_NODE};
        if (i < count)
            memcpy(&result, &ids[i], sizeof result);
        ids[i] = i < count ? index->ids[result.node] : UINT64_MAX;
        if (distances)
            distances[i] = result.distance;
    }
    if (found)
        *found = count;
    return VDB_OK;
}

int vdb_search(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, uint64_t *ids, float *distances,
               uint32_t *found)
{
    int code = check_search(index, query, 1, k, ids);
    if (code != VDB_OK)
        return code;
    if ((code = search_one(index, query, k, ef, ids, distances, found)) != VDB_OK)
        return vdb_fail(code, "out of memory searching");
    return VDB_OK;
}

typedef struct {
    const vdb_index *index;
    const float *queries;
    uint32_t k, ef;
    uint64_t *ids;
    float *distances;
    uint32_t *found;
    atomic_int out_of_memory;
} batch_job;

static void search_chunk(void *raw, uint64_t begin, uint64_t end, uint32_t worker)
{
    (void)worker;
    batch_job *job = raw;
    uint32_t dim = job->index->config.dim;
    for (uint64_t q = begin; q < end; q++)
        if (search_one(job->index, job->queries + q * dim, job->k, job->ef, job->ids + q * job->k,
                       job->distances ? job->distances + q * job->k : NULL,
                       job->found ? job->found + q : NULL) != VDB_OK)
            atomic_store(&job->out_of_memory, 1);
}

int vdb_search_batch(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, uint32_t ef, uint64_t *ids,
                     float *distances, uint32_t *found)
{
    if (nq == 0 && index && k > 0)
        return VDB_OK;
    int code = check_search(index, queries, nq, k, ids);
    if (code != VDB_OK)
        return code;
    batch_job job = {index, queries, k, ef, ids, distances, found, 0};
    vdb_parallel_for(index->config.threads, nq, SEARCH_CHUNK, search_chunk, &job);
    if (atomic_load(&job.out_of_memory))
        return vdb_fail(VDB_ENOMEM, "out of memory searching");
    return VDB_OK;
}

int vdb_save(const vdb_index *index, const char *path)
{
    if (!index || !path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", index ? "path" : "index");
    const vdb_hnsw *graph = &index->graph;
    vdb_save_order order;
    vdb_save_order_make(graph, &order);
    vdb_file_contents contents = {.graph = graph,
                                  .ids = index->ids,
                                  .order = &order,
                                  .count = graph->count,
                                  .entry = graph->entry,
                                  .max_level = graph->max_level,
                                  .metric = index->config.metric,
                                  .ef_construction = index->config.ef_construction,
                                  .ef_search = index->config.ef_search,
                                  .seed = index->config.seed};
    int code = vdb_format_save(&contents, path);
    vdb_save_order_free(&order);
    return code;
}

int vdb_open(vdb_index **out, const char *path, uint32_t flags)
{
    if (!out || !path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "path" : "out");
    if (flags & ~(uint32_t)(VDB_OPEN_VERIFY | VDB_OPEN_POPULATE))
        return vdb_fail(VDB_EINVAL, "unknown open flags 0x%x", flags);
    vdb_index *index = calloc(1, sizeof *index);
    if (!index)
        return vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", path);
    vdb_index_file file;
    int code = vdb_format_open(&file, path, flags);
    if (code != VDB_OK) {
        free(index);
        return code;
    }
    const vdb_header *h = &file.header;
    index->kind = VDB_INDEX_OPENED;
    index->file = file.mapping;
    vdb_config_init(&index->config);
    index->config.dim = h->dim;
    index->config.metric = h->metric;
    index->config.m = h->m;
    index->config.ef_construction = h->ef_construction;
    index->config.ef_search = h->ef_search;
    index->config.seed = h->seed;
    index->ids = file.ids;
    vdb_store_init_mapped(&index->store, h->dim, file.vectors, h->dim, (uint32_t)h->count);
    if (vdb_hnsw_init_mapped(&index->graph, &index->store, h->metric, h->m, h->ef_construction, &file.links) !=
        VDB_OK) {
        vdb_close(index);
        return vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", path);
    }
    *out = index;
    return VDB_OK;
}

int vdb_verify(const char *path)
{
    if (!path)
        return vdb_fail(VDB_EINVAL, "path is NULL");
    return vdb_format_verify(path);
}

int vdb_set_threads(vdb_index *index, uint32_t threads)
{
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    if (threads > VDB_MAX_THREADS)
        return vdb_fail(VDB_EINVAL, "threads %u is over %u", threads, VDB_MAX_THREADS);
    index->config.threads = threads;
    return VDB_OK;
}

int vdb_get_config(const vdb_index *index, vdb_config *out)
{
    if (!index || !out)
        return vdb_fail(VDB_EINVAL, "%s is NULL", index ? "out" : "index");
    *out = index->config;
    return VDB_OK;
}

void vdb_close(vdb_index *index)
{
    if (!index)
        return;
    vdb_hnsw_destroy(&index->graph);
    vdb_store_destroy(&index->store);
    vdb_labels_destroy(&index->labels);
    vdb_mapping_close(&index->file);
    free(index);
}

uint64_t vdb_count(const vdb_index *index) { return index ? index->graph.count : 0; }
uint64_t vdb_rows(const vdb_index *index)
{
    if (!index)
        return 0;
    return index->kind == VDB_INDEX_OVER_FILE ? index->view.count : index->graph.count;
}
uint32_t vdb_dim(const vdb_index *index) { return index ? index->config.dim : 0; }
int32_t vdb_metric(const vdb_index *index) { return index ? index->config.metric : -1; }

struct vdb_vectors {
    vdb_mapping file;
    vdb_vector_view view;
};

int vdb_vectors_open(vdb_vectors **out, const char *path, uint32_t dim)
{
    if (!out || !path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "path" : "out");
    if (dim > VDB_MAX_DIM)
        return vdb_fail(VDB_EINVAL, "dimension %u is outside 1..%u", dim, VDB_MAX_DIM);
    vdb_vectors *vectors = calloc(1, sizeof *vectors);
    if (!vectors)
        return vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", path);
    int code = vdb_mapping_open(&vectors->file, path, "vector file");
    if (code == VDB_OK && (code = vdb_vector_view_parse(&vectors->view, &vectors->file, path, dim)) != VDB_OK)
        vdb_mapping_close(&vectors->file);
    if (code != VDB_OK) {
        free(vectors);
        return code;
    }
    *out = vectors;
    return VDB_OK;
}

uint64_t vdb_vectors_count(const vdb_vectors *vectors) { return vectors ? vectors->view.count : 0; }
uint32_t vdb_vectors_dim(const vdb_vectors *vectors) { return vectors ? vectors->view.dim : 0; }

const float *vdb_vectors_row(const vdb_vectors *vectors, uint64_t row)
{
    if (!vectors || row >= vectors->view.count || !vdb_vector_view_row_ok(&vectors->view, row))
        return NULL;
    return vdb_vector_view_row(&vectors->view, row);
}

void vdb_vectors_close(vdb_vectors *vectors)
{
    if (!vectors)
        return;
    vdb_mapping_close(&vectors->file);
    free(vectors);
}

uint32_t vdb_version_number(void) { return VDB_VERSION_NUMBER; }

const char *vdb_version_string(void) { return VERSION_TEXT(VDB_VERSION_MAJOR, VDB_VERSION_MINOR, VDB_VERSION_PATCH); }
