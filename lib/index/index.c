/*
 * An index's life: set-up, the steps every change shares (reserve all it
 * needs, then append and link, so that a failure leaves nothing half-done),
 * deletion, and teardown.
 */
#include "index/index.h"

#include "partitioned/partitioned_build.h"
#include "disk/disk_search.h"

#include "graph/insert.h"
#include "graph/repair.h"
#include "util/error.h"

#include <stdlib.h>
#include <sys/mman.h>

vdb_index *vdb_index_new(const vdb_config *config, vdb_index_kind kind)
{
    vdb_index *index = calloc(1, sizeof *index);
    if (!index)
        return NULL;
    index->config = *config;
    index->kind = kind;
    vdb_ids_init(&index->ids);
    pthread_mutex_init(&index->ids_lock, NULL);
    pthread_mutex_init(&index->save_lock, NULL);
    atomic_store(&index->ids_ready, 1);
    return index;
}

void vdb_index_use_codes(vdb_index *index)
{
    vdb_config *config = &index->config;
    uint32_t bytes = vdb_codes_bytes(config->codes, index->store.dim, config->code_bytes);
    if (config->codes == VDB_CODES_PQ)
        config->code_bytes = bytes; /* vdb_get_config tells what 0 chose */
    vdb_codes_init(&index->codes, config->codes, index->store.dim, bytes);
    index->graph.codes = &index->codes;
}

int vdb_index_map_ids(const vdb_index *index)
{
    if (atomic_load_explicit(&index->ids_ready, memory_order_acquire))
        return VDB_OK;
    vdb_index *mutable = (vdb_index *)index; /* built once, under the lock; readers see it only when ready */
    pthread_mutex_lock(&mutable->ids_lock);
    int code = VDB_OK;
    if (!atomic_load_explicit(&index->ids_ready, memory_order_relaxed) &&
        (code = vdb_ids_map(&mutable->ids, index->graph.dead)) == VDB_OK)
        atomic_store_explicit(&mutable->ids_ready, 1, memory_order_release);
    pthread_mutex_unlock(&mutable->ids_lock);
    return code;
}

int vdb_index_reserve(vdb_index *index, uint64_t n, int vectors)
{
    vdb_hnsw *graph = &index->graph;
    if (n > VDB_MAX_NODES - graph->allocated)
        return vdb_fail(VDB_ERANGE, "the index cannot hold %llu more vectors", (unsigned long long)n);
    /* A change that may be canceled deletes its nodes then, which must not fail: the room is taken now. */
    if ((index->progress.report && vdb_hnsw_reserve_dead(graph) != VDB_OK) ||
        (vectors && vdb_store_reserve(&index->store, n) != VDB_OK) || vdb_ids_reserve(&index->ids, n) != VDB_OK ||
        vdb_codes_reserve(&index->codes, vdb_store_count(&index->store) + n) != VDB_OK)
        return vdb_fail(VDB_ENOMEM, "out of memory adding %llu vectors", (unsigned long long)n);
    int code = vdb_hnsw_reserve(graph, (uint32_t)n, index->config.threads);
    if (code != VDB_OK)
        return code == VDB_ERANGE ? vdb_fail(code, "the index cannot hold %llu more vectors", (unsigned long long)n)
                                  : vdb_fail(code, "out of memory adding %llu vectors", (unsigned long long)n);
    return VDB_OK;
}

/* The last n nodes, which a canceled insertion appended, deleted again: their ids free, searches never return them. */
static void delete_canceled(vdb_index *index, uint64_t n)
{
    vdb_hnsw *graph = &index->graph;
    for (uint32_t node = graph->allocated - (uint32_t)n; node < graph->allocated; node++) {
        vdb_ids_forget(&index->ids, index->ids.of_node[node]);
        vdb_hnsw_mark_dead(graph, node);
    }
}

static void append_nodes(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids, uint64_t first_id)
{
    if (vectors)
        vdb_store_append(&index->store, vectors, n);
    for (uint64_t i = 0; i < n; i++)
        vdb_ids_append(&index->ids, ids ? ids[i] : first_id + i);
}

/* After the last n nodes were linked, with `code` from the linking: their codes, or their deletion if it failed. */
static int finish_insert(vdb_index *index, uint64_t n, int code)
{
    /* Every node needs its code row, deleted ones too: a search walks through them. */
    vdb_codes_update(&index->codes, &index->store, index->config.seed, index->config.threads);
    if (code == VDB_ECANCELED) {
        delete_canceled(index, n);
        return vdb_fail(code, "canceled by the progress callback: none of the %llu vectors were added",
                        (unsigned long long)n);
    }
    if (code != VDB_OK)
        return vdb_fail(code,
                        "out of memory while linking %llu vectors: they are in the index, but some with "
                        "fewer links than a search would find for them",
                        (unsigned long long)n);
    return VDB_OK;
}

int vdb_index_insert(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids, uint64_t first_id,
                     const vdb_progress *progress)
{
    append_nodes(index, vectors, n, ids, first_id);
    return finish_insert(index, n, vdb_hnsw_insert(&index->graph, (uint32_t)n, index->config.threads, progress));
}

int vdb_index_build_partitioned(vdb_index *index, uint64_t first, uint64_t n, const vdb_partition_plan *plan)
{
    append_nodes(index, NULL, n, NULL, first);
    const vdb_vector_view *view = &index->view;
    vdb_build_rows rows = {vdb_vector_view_row(view, first), view->stride, (uint32_t)n, view->dim};
    /* The build and the codes after it read the rows in file order: the kernel may read ahead, unlike for searches. */
    vdb_mapping_advise(&index->file, 0, index->file.length, MADV_SEQUENTIAL);
    int code =
        vdb_partitioned_build(&index->graph, &rows, plan, index->config.seed, index->config.threads, &index->progress);
    if (code == VDB_ENOMEM) { /* unlike an insertion's, this one leaves nodes unlinked: take them all back */
        vdb_codes_update(&index->codes, &index->store, index->config.seed, index->config.threads);
        delete_canceled(index, n);
        code = vdb_fail(code, "out of memory building %llu rows in %u partitions: none were added",
                        (unsigned long long)n, plan->partitions);
    } else {
        code = finish_insert(index, n, code);
    }
    vdb_mapping_advise(&index->file, 0, index->file.length, MADV_RANDOM);
    return code;
}

/*
 * Searches walk through deleted nodes, so the more there are the longer
 * they walk: with half the nodes deleted a search at the same ef took about
 * twice as long. Once the deleted nodes not yet repaired around pass a tenth
 * of the live ones, the links are repaired in place, as a save would.
 */
enum { REPAIR_WHEN_DEAD_PER_LIVE_EXCEEDS = 10 }; /* 1 in this many */

void vdb_index_delete_nodes(vdb_index *index, const uint32_t *nodes, uint64_t n)
{
    vdb_hnsw *graph = &index->graph;
    for (uint64_t i = 0; i < n; i++) {
        vdb_ids_forget(&index->ids, index->ids.of_node[nodes[i]]);
        vdb_hnsw_mark_dead(graph, nodes[i]);
    }
    if ((uint64_t)graph->dead_unrepaired * REPAIR_WHEN_DEAD_PER_LIVE_EXCEEDS > vdb_hnsw_live(graph))
        (void)vdb_hnsw_repair_in_place(graph, index->config.threads); /* short of memory, the graph stays as it is */
}

void vdb_index_free(vdb_index *index)
{
    if (!index)
        return;
    if (index->disk) {
        vdb_disk_close(index->disk);
        free(index->disk);
    }
    vdb_hnsw_destroy(&index->graph);
    vdb_store_destroy(&index->store);
    vdb_codes_destroy(&index->codes);
    vdb_ids_destroy(&index->ids);
    vdb_mapping_close(&index->file);
    if (index->journal) {
        vdb_journal_close_writer(index->journal);
        free(index->journal);
    }
    free(index->path);
    pthread_mutex_destroy(&index->ids_lock);
    pthread_mutex_destroy(&index->save_lock);
    free(index);
}

int vdb_index_search(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, const vdb_accept *accept,
                     vdb_candidate *results, uint32_t *found)
{
    if (index->disk && vdb_hnsw_coded(&index->graph)) /* untrained codes: the index is small, searched in memory */
        return vdb_disk_search(index->disk, &index->graph, query, k, ef, index->config.rerank, accept, results, found);
    return vdb_hnsw_search(&index->graph, query, k, ef, index->config.rerank, accept, results, found);
}

int vdb_index_search_many(const vdb_index *index, const float *queries, uint64_t count, uint32_t k, uint32_t ef,
                          vdb_candidate *results, uint32_t *found)
{
    return vdb_disk_search_batch(index->disk, &index->graph, queries, count, k, ef, index->config.rerank, results,
                                 found);
}
