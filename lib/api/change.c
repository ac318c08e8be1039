/*
 * The calls that change an index: vdb_build, vdb_add, vdb_upsert and
 * vdb_delete. Each is all or nothing: check every argument, write the
 * change to the journal (an index opened writable), reserve every byte, and
 * only then change anything; a failed reservation takes the record back.
 */
#include "api/checks.h"
#include "api/journal_records.h"
#include "graph/walk_codes.h"
#include "partitioned/partitioned_build.h"
#include "util/error.h"
#include "util/mapping.h"
#include "util/parallel.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef enum { CHANGE_ADD, CHANGE_UPSERT, CHANGE_DELETE, CHANGE_BUILD } change_kind;

static const char *const change_names[] = {"vdb_add", "vdb_upsert", "vdb_delete", "vdb_build"};

/* Whether this kind of index takes this change; the message says what to do instead. */
static int check_writable(const vdb_index *index, change_kind change)
{
    const char *call = change_names[change];
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    if (index->kind == VDB_INDEX_OPENED && !index->writable)
        return vdb_fail(VDB_EREADONLY,
                        "%s: this index was opened read-only; open it with VDB_OPEN_WRITABLE to change it", call);
    if (change == CHANGE_BUILD && index->kind != VDB_INDEX_OVER_FILE)
        return vdb_fail(VDB_EINVAL, "vdb_build links rows of a mapped vector file; this index takes vdb_add");
    if ((change == CHANGE_ADD || change == CHANGE_UPSERT) && index->kind == VDB_INDEX_OVER_FILE)
        return vdb_fail(VDB_EREADONLY,
                        "%s: this index's vectors live in a read-only vector file; link its rows with vdb_build, "
                        "or save the index and open the file with VDB_OPEN_WRITABLE to add vectors",
                        call);
    return VDB_OK;
}

static int compare_ids(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* An id that appears twice in ids, in *repeated; VDB_OK whether or not there is one (*found says), or VDB_ENOMEM. */
static int find_repeat(const uint64_t *ids, uint64_t n, int *found, uint64_t *repeated)
{
    *found = 0;
    if (n < 2)
        return VDB_OK;
    uint64_t *sorted = malloc(sizeof *sorted * n);
    if (!sorted)
        return vdb_fail(VDB_ENOMEM, "out of memory checking %llu ids", (unsigned long long)n);
    memcpy(sorted, ids, sizeof *sorted * n);
    qsort(sorted, n, sizeof *sorted, compare_ids);
    for (uint64_t i = 1; i < n && !*found; i++)
        if (sorted[i] == sorted[i - 1]) {
            *found = 1;
            *repeated = sorted[i];
        }
    free(sorted);
    return VDB_OK;
}

/* The vectors are finite and each id is a valid one; for vdb_add, also not in the index. */
static int check_vectors_and_ids(const vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids,
                                 change_kind change)
{
    if (!vectors)
        return vdb_fail(VDB_EINVAL, "vectors is NULL");
    if (n > VDB_MAX_NODES - index->graph.allocated)
        return vdb_fail(VDB_ERANGE, "the index cannot hold %llu more vectors", (unsigned long long)n);
    uint32_t dim = index->config.dim;
    uint64_t bad = vdb_first_non_finite(vectors, n, dim, dim);
    if (bad < n)
        return vdb_fail(VDB_EINVAL, "vector %llu holds NaN or Inf", (unsigned long long)bad);
    for (uint64_t i = 0; ids && i < n; i++) {
        if (ids[i] == VDB_NO_ID)
            return vdb_fail(VDB_EINVAL, "id UINT64_MAX (row %llu) is reserved", (unsigned long long)i);
        if (change == CHANGE_ADD && vdb_ids_find(&index->ids, ids[i]) != VDB_NO_NODE)
            return vdb_fail(VDB_EEXIST, "id %llu (row %llu) is already in the index", (unsigned long long)ids[i],
                            (unsigned long long)i);
    }
    int repeated;
    uint64_t id;
    int code = find_repeat(ids, ids ? n : 0, &repeated, &id);
    if (code == VDB_OK && repeated)
        code = change == CHANGE_ADD ? vdb_fail(VDB_EEXIST, "id %llu appears twice in the batch", (unsigned long long)id)
                                    : vdb_fail(VDB_EINVAL, "id %llu appears twice in the batch: upsert each id once",
                                               (unsigned long long)id);
    return code;
}

/*
 * How the first build of an index with a memory bound splits its rows (none:
 * plan->partitions stays 0), and whether a build of them all at once has
 * room for the int8 codes its walks would read (graph/walk_codes.h).
 */
static int plan_partitions(const vdb_index *index, uint64_t count, vdb_partition_plan *plan, int *room_for_codes)
{
    *room_for_codes = index->build_memory == 0;
    if (index->build_memory == 0 || index->graph.allocated > 0)
        return VDB_OK; /* later builds link into the graph there is: they cannot be split, nor planned */
    const vdb_config *config = &index->config;
    uint64_t code_bytes = config->codes == VDB_CODES_NONE
                              ? 0
                              : vdb_codes_bytes(config->codes, config->dim, config->code_bytes) + sizeof(float);
    uint64_t walk_code_bytes = vdb_walk_code_row_bytes(config->dim);
    uint32_t threads = vdb_parallel_workers(config->threads, count, VDB_INSERT_CHUNK);
    *room_for_codes = vdb_partitioned_build_fits(count, config->dim, config->m, threads, code_bytes + walk_code_bytes,
                                                 index->build_memory);
    return vdb_partitioned_build_plan(plan, count, config->dim, config->m, threads, code_bytes, index->build_memory);
}

int vdb_build(vdb_index *index, uint64_t first, uint64_t count)
{
    int code = check_writable(index, CHANGE_BUILD);
    if (code != VDB_OK)
        return code;
    const vdb_vector_view *view = &index->view;
    if (first > view->count || count > view->count - first)
        return vdb_fail(VDB_ERANGE, "rows %llu..%llu are past the end of the vector file (%llu rows)",
                        (unsigned long long)first, (unsigned long long)(first + count),
                        (unsigned long long)view->count);
    for (uint64_t row = first; row < first + count; row++) {
        if (vdb_ids_find(&index->ids, row) != VDB_NO_NODE)
            return vdb_fail(VDB_EEXIST, "row %llu is already in the index", (unsigned long long)row);
        if (!vdb_vector_view_row_ok(view, row))
            return vdb_fail(VDB_EFORMAT, ".fvecs row %llu does not have dimension %u", (unsigned long long)row,
                            view->dim);
    }
    if (count == 0)
        return VDB_OK;
    /* The file is mapped for random reads, a page a fault: 40 s to read 2 GB from a cold cache here, against 5 in order
     * with the kernel reading ahead. */
    vdb_mapping_advise(&index->file, 0, index->file.length, MADV_SEQUENTIAL);
    uint64_t bad = vdb_first_non_finite(vdb_vector_view_row(view, first), count, view->dim, view->stride);
    vdb_mapping_advise(&index->file, 0, index->file.length, MADV_RANDOM);
    if (bad < count)
        return vdb_fail(VDB_EINVAL, "row %llu holds NaN or Inf", (unsigned long long)(first + bad));

    vdb_partition_plan plan = {0, 0, 0};
    int room_for_codes;
    if ((code = plan_partitions(index, count, &plan, &room_for_codes)) != VDB_OK)
        return code;
    if (vdb_store_reserve_file_rows(&index->store, view->first_row, view->stride, first, (uint32_t)count) != VDB_OK ||
        (plan.partitions > 0 && vdb_hnsw_reserve_dead(&index->graph) != VDB_OK))
        return vdb_fail(VDB_ENOMEM, "out of memory building %llu rows", (unsigned long long)count);
    if ((code = vdb_index_reserve(index, count, 0)) != VDB_OK)
        return code;
    vdb_store_link_file_rows(&index->store, view->first_row, view->stride, first, (uint32_t)count);
    if (plan.partitions > 0)
        return vdb_index_build_partitioned(index, first, count, &plan);
    index->graph.exact_walks = !room_for_codes;
    code = vdb_index_insert(index, NULL, count, NULL, first, &index->progress);
    index->graph.exact_walks = 0;
    return code;
}

int vdb_set_build_memory(vdb_index *index, uint64_t bytes)
{
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    index->build_memory = bytes;
    return VDB_OK;
}

int vdb_add(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids)
{
    int code = check_writable(index, CHANGE_ADD);
    if (code != VDB_OK || n == 0)
        return code;
    if ((code = check_vectors_and_ids(index, vectors, n, ids, CHANGE_ADD)) != VDB_OK)
        return code;
    uint64_t next = index->ids.count > 0 ? index->ids.largest + 1 : 0;
    if (!ids && n > VDB_NO_ID - next)
        return vdb_fail(VDB_ERANGE, "ids after %llu would pass the largest id; pass ids",
                        (unsigned long long)index->ids.largest);
    uint64_t mark = vdb_log_mark(index);
    if ((code = vdb_log_vectors(index, VDB_RECORD_ADD, vectors, n, ids, next)) != VDB_OK)
        return code;
    if ((code = vdb_index_reserve(index, n, 1)) != VDB_OK) {
        vdb_unlog(index, mark);
        return code;
    }
    if ((code = vdb_index_insert(index, vectors, n, ids, next, &index->progress)) == VDB_ECANCELED)
        vdb_unlog(index, mark); /* the change never happened */
    return code;
}

int vdb_set_progress(vdb_index *index, int (*progress)(uint64_t done, uint64_t total, void *context), void *context)
{
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    index->progress = (vdb_progress){progress, context};
    return VDB_OK;
}

int vdb_upsert(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids)
{
    int code = check_writable(index, CHANGE_UPSERT);
    if (code != VDB_OK || n == 0)
        return code;
    if (!ids)
        return vdb_fail(VDB_EINVAL, "ids is NULL: vdb_upsert needs an id for each vector");
    if ((code = check_vectors_and_ids(index, vectors, n, ids, CHANGE_UPSERT)) != VDB_OK)
        return code;
    uint32_t *replaced = malloc(sizeof *replaced * n);
    if (!replaced)
        return vdb_fail(VDB_ENOMEM, "out of memory upserting %llu vectors", (unsigned long long)n);
    uint64_t count = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t node = vdb_ids_find(&index->ids, ids[i]);
        if (node != VDB_NO_NODE)
            replaced[count++] = node;
    }
    if (count > 0 && vdb_hnsw_reserve_dead(&index->graph) != VDB_OK)
        code = vdb_fail(VDB_ENOMEM, "out of memory upserting %llu vectors", (unsigned long long)n);
    uint64_t mark = vdb_log_mark(index);
    if (code == VDB_OK)
        code = vdb_log_vectors(index, VDB_RECORD_UPSERT, vectors, n, ids, 0);
    if (code == VDB_OK && (code = vdb_index_reserve(index, n, 1)) != VDB_OK)
        vdb_unlog(index, mark);
    if (code == VDB_OK) {
        vdb_index_delete_nodes(index, replaced, count);
        code = vdb_index_insert(index, vectors, n, ids, 0, NULL); /* too late to stop cleanly: see vdb_set_progress */
    }
    free(replaced);
    return code;
}

int vdb_delete(vdb_index *index, const uint64_t *ids, uint64_t n)
{
    int code = check_writable(index, CHANGE_DELETE);
    if (code != VDB_OK || n == 0)
        return code;
    if (!ids)
        return vdb_fail(VDB_EINVAL, "ids is NULL");
    for (uint64_t i = 0; i < n; i++)
        if (vdb_ids_find(&index->ids, ids[i]) == VDB_NO_NODE)
            return vdb_fail(VDB_ENOTFOUND, "id %llu (position %llu) is not in the index; nothing was deleted",
                            (unsigned long long)ids[i], (unsigned long long)i);
    int repeated;
    uint64_t id;
    if ((code = find_repeat(ids, n, &repeated, &id)) != VDB_OK)
        return code;
    if (repeated)
        return vdb_fail(VDB_ENOTFOUND, "id %llu appears twice; nothing was deleted", (unsigned long long)id);
    uint32_t *nodes = malloc(sizeof *nodes * n);
    if (!nodes || vdb_hnsw_reserve_dead(&index->graph) != VDB_OK) {
        free(nodes);
        return vdb_fail(VDB_ENOMEM, "out of memory deleting %llu vectors", (unsigned long long)n);
    }
    for (uint64_t i = 0; i < n; i++)
        nodes[i] = vdb_ids_find(&index->ids, ids[i]);
    if ((code = vdb_log_delete(index, ids, n)) == VDB_OK)
        vdb_index_delete_nodes(index, nodes, n);
    free(nodes);
    return code;
}
