/*
 * The calls that read an index: searches, with and without a filter, one
 * query or a batch on the index's threads, and vdb_get.
 *
 * A search allocates nothing: the graph leaves its (distance, node) results
 * in the caller's ids buffer, each in the slot of the id it becomes, and
 * they are turned into ids in place. memcpy keeps the accesses to the two
 * types apart.
 */
#include "api/checks.h"
#include "graph/search.h"
#include "index/filter.h"
#include "util/error.h"
#include "util/parallel.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

enum { SEARCH_CHUNK = 4 };
enum { DISK_CHUNK = 32 }; /* queries a thread of a disk-resident batch walks together, a few at a time */

_Static_assert(sizeof(vdb_candidate) == sizeof(uint64_t), "a result (distance, node) fits an id's slot");

/* Turn the (distance, node) results a search left in the ids buffer into ids, in place, and pad to k. */
static void results_to_ids(const vdb_index *index, uint32_t k, uint32_t count, uint64_t *ids, float *distances,
                           uint32_t *found)
{
    for (uint32_t i = 0; i < k; i++) {
        vdb_candidate result = {INFINITY, VDB_NO_NODE};
        if (i < count)
            memcpy(&result, &ids[i], sizeof result);
        ids[i] = i < count ? index->ids.of_node[result.node] : VDB_NO_ID;
        if (distances)
            distances[i] = result.distance;
    }
    if (found)
        *found = count;
}

static int search_one(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, const vdb_filter *filter,
                      uint64_t *ids, float *distances, uint32_t *found)
{
    uint32_t count = 0;
    vdb_candidate *results = (vdb_candidate *)ids;
    int code = filter ? vdb_filtered_search(index, query, k, ef, filter, VDB_FILTER_BY_COST, results, &count)
                      : vdb_index_search(index, query, k, ef ? ef : index->config.ef_search, NULL, results, &count);
    if (code == VDB_OK)
        results_to_ids(index, k, count, ids, distances, found);
    return code;
}

int vdb_search_filtered(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, const vdb_filter *filter,
                        uint64_t *ids, float *distances, uint32_t *found)
{
    int code = vdb_check_search(index, query, 1, k, ids);
    if (code == VDB_OK && (code = search_one(index, query, k, ef, filter, ids, distances, found)) == VDB_ENOMEM)
        return vdb_fail(code, "out of memory searching");
    return code; /* any other failure (a disk read) has its message */
}

int vdb_search(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, uint64_t *ids, float *distances,
               uint32_t *found)
{
    return vdb_search_filtered(index, query, k, ef, NULL, ids, distances, found);
}

typedef struct {
    const vdb_index *index;
    const float *queries;
    uint32_t k, ef;
    const vdb_filter *filter;
    uint64_t *ids;
    float *distances;
    uint32_t *found;
    atomic_int failure;
} batch_job;

/* A disk-resident index walks a chunk's queries together, so that some go on while others wait on the disk. */
static void search_chunk_on_disk(batch_job *job, uint64_t begin, uint64_t end)
{
    const vdb_index *index = job->index;
    uint32_t k = job->k, found[DISK_CHUNK];
    int code = vdb_index_search_many(index, job->queries + begin * index->config.dim, end - begin, k,
                                     job->ef ? job->ef : index->config.ef_search,
                                     (vdb_candidate *)(job->ids + begin * k), found);
    if (code != VDB_OK) {
        atomic_store(&job->failure, code);
        return;
    }
    for (uint64_t q = begin; q < end; q++)
        results_to_ids(index, k, found[q - begin], job->ids + q * k, job->distances ? job->distances + q * k : NULL,
                       job->found ? job->found + q : NULL);
}

static void search_chunk(void *raw, uint64_t begin, uint64_t end, uint32_t worker)
{
    (void)worker;
    batch_job *job = raw;
    if (!job->filter && vdb_index_on_disk(job->index)) {
        search_chunk_on_disk(job, begin, end);
        return;
    }
    uint32_t dim = job->index->config.dim;
    for (uint64_t q = begin; q < end; q++) {
        int code = search_one(job->index, job->queries + q * dim, job->k, job->ef, job->filter, job->ids + q * job->k,
                              job->distances ? job->distances + q * job->k : NULL, job->found ? job->found + q : NULL);
        if (code != VDB_OK)
            atomic_store(&job->failure, code);
    }
}

int vdb_search_batch_filtered(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, uint32_t ef,
                              const vdb_filter *filter, uint64_t *ids, float *distances, uint32_t *found)
{
    if (nq == 0 && index && k > 0)
        return VDB_OK;
    int code = vdb_check_search(index, queries, nq, k, ids);
    if (code != VDB_OK)
        return code;
    batch_job job = {index, queries, k, ef, filter, ids, distances, found, VDB_OK};
    vdb_parallel_for(index->config.threads, nq, !filter && vdb_index_on_disk(index) ? DISK_CHUNK : SEARCH_CHUNK,
                     search_chunk, &job);
    if ((code = atomic_load(&job.failure)) != VDB_OK) /* the message is the failing thread's: say what it was */
        return vdb_fail(code, code == VDB_ENOMEM ? "out of memory searching"
                                                 : "reading the index file failed while searching");
    return VDB_OK;
}

int vdb_search_batch(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, uint32_t ef, uint64_t *ids,
                     float *distances, uint32_t *found)
{
    return vdb_search_batch_filtered(index, queries, nq, k, ef, NULL, ids, distances, found);
}

int vdb_get(const vdb_index *index, uint64_t id, float *vector_out)
{
    if (!index || !vector_out)
        return vdb_fail(VDB_EINVAL, "%s is NULL", index ? "vector_out" : "index");
    if (vdb_index_map_ids(index) != VDB_OK)
        return vdb_fail(VDB_ENOMEM, "out of memory building the id table");
    uint32_t node = vdb_ids_find(&index->ids, id);
    if (node == VDB_NO_NODE)
        return vdb_fail(VDB_ENOTFOUND, "id %llu is not in the index", (unsigned long long)id);
    memcpy(vector_out, vdb_store_get(&index->store, node), sizeof(float) * index->config.dim);
    return VDB_OK;
}

int vdb_filter_create(vdb_filter **out, const uint64_t *allowed_ids, uint64_t n)
{
    if (!out || (!allowed_ids && n > 0))
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "allowed_ids" : "out");
    return vdb_filter_new_list(out, allowed_ids, n);
}

int vdb_filter_from_fn(vdb_filter **out, int (*allow)(uint64_t id, void *ctx), void *ctx)
{
    if (!out || !allow)
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "allow" : "out");
    return vdb_filter_new_predicate(out, allow, ctx);
}

void vdb_filter_close(vdb_filter *filter) { vdb_filter_free(filter); }
