#include "partitioned/partitioned_build.h"

#include "partitioned/upper_layers.h"
#include "graph/in_links.h"
#include "graph/walk_codes.h"
#include "util/error.h"
#include "vdb.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every row also goes to its second-nearest partition, as in DiskANN. On
 * 120,000 SIFT-like rows in 8 partitions, a quarter of them in two gave
 * recall 0.83 at ef 128 against 0.98 for a build without partitions; all
 * of them gave 0.99, in 1.08 times the time: twice the insertions, but
 * each into a graph an eighth the size.
 */
enum {
    EXTRA_PERCENT = 100,
    FILL_PERCENT = 85,       /* of a partition's capacity the split aims at, leaving room for uneven clusters */
    HEADROOM_EIGHTHS = 1,    /* of the memory left to the page cache, the allocator and the stacks */
    MIN_PARTITION_ROWS = 256 /* a partition smaller than this would be mostly boundary */
};

/* Bytes a node of the whole graph costs while building: links, small arrays, scratch, and what the index adds. */
static uint64_t graph_bytes_per_node(uint32_t m, uint32_t threads, uint64_t fixed_per_row)
{
    uint64_t level0 = (2ull * m + 1) * sizeof(uint32_t), upper = (m + 1ull) * sizeof(uint32_t) / (m - 1) + 1;
    return level0 + upper + 3 * sizeof(uint32_t) + threads * sizeof(uint16_t) + fixed_per_row;
}

static uint64_t usable_bytes(uint64_t memory) { return memory - memory / 8 * HEADROOM_EIGHTHS; }

int vdb_partitioned_build_fits(uint64_t rows, uint32_t dim, uint32_t m, uint32_t threads, uint64_t fixed_per_row,
                               uint64_t memory)
{
    uint64_t row_bytes = (uint64_t)dim * sizeof(float), per_node = graph_bytes_per_node(m, threads, fixed_per_row);
    return rows * (row_bytes + per_node) <= usable_bytes(memory);
}

int vdb_partitioned_build_plan(vdb_partition_plan *plan, uint64_t rows, uint32_t dim, uint32_t m, uint32_t threads,
                               uint64_t fixed_per_row, uint64_t memory)
{
    *plan = (vdb_partition_plan){0, 0, 0};
    uint64_t usable = usable_bytes(memory), row_bytes = (uint64_t)dim * sizeof(float);
    uint64_t per_node = graph_bytes_per_node(m, threads, fixed_per_row);
    if (vdb_partitioned_build_fits(rows, dim, m, threads, fixed_per_row, memory))
        return VDB_OK; /* the rows and the graph fit: a build of them all at once is faster */

    /* the whole graph and the split's arrays: two partitions a row, and while splitting 16 bytes more a row */
    uint64_t whole = rows * (per_node + 2 * sizeof(uint16_t) + 16),
             upper = vdb_upper_layers_bytes(rows / m + 64, dim, m);
    uint64_t partition_node = row_bytes + vdb_walk_code_row_bytes(dim) + per_node - fixed_per_row + sizeof(uint32_t);
    uint64_t least =
        whole + (upper > MIN_PARTITION_ROWS * partition_node ? upper : MIN_PARTITION_ROWS * partition_node);
    if (usable < least) {
        least = least / (8 - HEADROOM_EIGHTHS) * 8 + (1 << 20);
        return vdb_fail(VDB_EINVAL,
                        "a build memory of %llu MiB is too small for %llu rows of dimension %u: the graph alone "
                        "needs %llu MiB while building; give at least %llu MiB",
                        (unsigned long long)(memory >> 20), (unsigned long long)rows, dim,
                        (unsigned long long)(whole >> 20), (unsigned long long)(least >> 20));
    }
    uint64_t capacity = (usable - whole) / partition_node;
    if (capacity > rows)
        capacity = rows;
    uint64_t extras = rows * EXTRA_PERCENT / 100, aim = capacity * FILL_PERCENT / 100;
    uint64_t partitions = (rows + extras + aim - 1) / aim;
    if (partitions < 2)
        partitions = 2;
    if (partitions > VDB_MAX_PARTITIONS)
        return vdb_fail(VDB_EINVAL, "a build memory of %llu MiB would split %llu rows into more than %u partitions",
                        (unsigned long long)(memory >> 20), (unsigned long long)rows, VDB_MAX_PARTITIONS);
    *plan = (vdb_partition_plan){(uint32_t)partitions, (uint32_t)capacity, (uint32_t)extras};
    return VDB_OK;
}

/* The caller's progress counted in rows of the whole build, from insertions into one partition after another. */
typedef struct {
    const vdb_progress *caller;
    uint64_t rows, insertions, before; /* insertions in all partitions, and in those finished */
} build_progress;

static int report_partition(uint64_t done, uint64_t total, void *context)
{
    (void)total;
    build_progress *p = context;
    uint64_t rows = (p->before + done) * p->rows / p->insertions;
    if (rows >= p->rows)
        rows = p->rows - 1; /* the build is not done until every partition is merged */
    return p->caller->report(rows, p->rows, p->caller->context);
}

/* Whether `link` is among the first `count` of links. */
static int holds(const uint32_t *links, uint32_t count, uint32_t link)
{
    for (uint32_t i = 0; i < count; i++)
        if (links[i] == link)
            return 1;
    return 0;
}

/*
 * Node's level-0 links from a partition's graph (local block, members
 * mapping its nodes to the graph's): taken as they are in the node's first
 * partition; in its second, interleaved with those from the first, nearest
 * of each first, so the node keeps its best links on both sides.
 */
static void merge_links(vdb_hnsw *graph, uint32_t node, const uint32_t *local, const uint32_t *members, int first)
{
    uint32_t *block = vdb_hnsw_links0(graph, node), merged[VDB_MAX_M0], count = 0;
    uint32_t before = first ? 0 : block[0];
    for (uint32_t i = 0; (i < before || i < local[0]) && count < graph->m0; i++) {
        if (i < before && !holds(merged, count, block[1 + i]))
            merged[count++] = block[1 + i];
        if (i < local[0] && count < graph->m0 && !holds(merged, count, members[local[1 + i]]))
            merged[count++] = members[local[1 + i]];
    }
    block[0] = count;
    memcpy(block + 1, merged, sizeof(uint32_t) * count);
}

/*
 * A partition's rows are copied in batches, each on a thread of its own
 * while the batch before it is linked, so that waiting for the disk
 * overlaps the work instead of adding to it. Linking needs only the rows
 * linked before, in file order, so the copy only has to keep one batch
 * ahead.
 */
enum { COPY_BATCH = 2048 }; /* 3 MB of 384-d rows: read in milliseconds, linked in a tenth of a second */

typedef struct {
    const vdb_build_rows *rows;
    const uint32_t *members; /* the batch's rows */
    uint32_t count;
    float *to; /* where the first goes; the rest follow */
} copy_job;

static void *copy_rows(void *raw)
{
    const copy_job *job = raw;
    uint32_t dim = job->rows->dim;
    for (uint32_t i = 0; i < job->count; i++)
        memcpy(job->to + (uint64_t)i * dim, vdb_build_row(job->rows, job->members[i]), sizeof(float) * dim);
    return NULL;
}

/*
 * Link a partition's n rows (members, in file order), each batch copied in
 * while the one before is linked. The walks read int8 codes of the rows
 * (graph/walk_codes.h), trained on the first batch and made a batch at a
 * time as the rows come in.
 */
static int link_in_batches(vdb_hnsw *local, vdb_store *store, vdb_code_store *codes, const vdb_build_rows *rows,
                           const uint32_t *members, uint32_t n, uint32_t threads, build_progress *counted,
                           const vdb_progress *progress)
{
    copy_job first = {rows, members, n < COPY_BATCH ? n : COPY_BATCH, vdb_store_unfilled_row(store, 0)};
    copy_rows(&first);
    vdb_store_append_filled(store, first.count);
    int code = vdb_hnsw_reserve_nodes(local, n);
    for (uint32_t start = 0; start < n && code == VDB_OK; start += COPY_BATCH) {
        uint32_t count = n - start < COPY_BATCH ? n - start : COPY_BATCH, next = start + count;
        copy_job ahead = {rows, members + next, n - next < COPY_BATCH ? n - next : COPY_BATCH,
                          vdb_store_unfilled_row(store, 0)};
        pthread_t reader;
        int reading = ahead.count > 0 && pthread_create(&reader, NULL, copy_rows, &ahead) == 0;
        vdb_codes_update(codes, store, 0, threads); /* trains once the first batch is in; the codes were reserved */
        local->walk_codes = codes->trained ? codes : NULL;
        if ((code = vdb_hnsw_reserve(local, count, threads)) == VDB_OK)
            code = vdb_hnsw_insert(local, count, threads, progress);
        if (reading)
            pthread_join(reader, NULL);
        else
            copy_rows(&ahead); /* no thread: copy after, as a plain loop would */
        vdb_store_append_filled(store, ahead.count);
        counted->before += count;
    }
    return code;
}

/*
 * The beam a row is linked with in its second partition: half the build's,
 * and at least 2M. There the row only has to join the two sides of a
 * boundary; its links on its home side were found with the full beam.
 * 1.3M x 384, M 16, ef_construction 64, 9 partitions, `vdb build` in 1
 * GB: 206 s with a beam of 32 for the second copies against 248 with the
 * full one, recall@10 at ef 64 0.903 against 0.909 (0.78 built without
 * partitions). A narrower one
 * costs reach: 20,000 clustered rows, M 12, in 6 partitions
 * (tests/unit/build_memory.c), 18 rows not found by their own vector at
 * ef 64 with a beam of 32 and 21 without partitions, but 35 with 21.
 */
static uint32_t second_copy_beam(uint32_t m, uint32_t ef_construction)
{
    uint32_t beam = ef_construction / 2 > 2 * m ? ef_construction / 2 : 2 * m;
    return beam < ef_construction ? beam : ef_construction;
}

/*
 * Build partition p's graph from its rows and merge its links into graph's.
 * Each node's parent (file/save_order.h) comes from its home partition and
 * is kept only if that node's home is the same, so parents stay within one
 * partition's levels and form no cycle.
 */
static int build_partition(vdb_hnsw *graph, const vdb_build_rows *rows, const vdb_partitions *partitions, uint32_t p,
                           uint64_t seed, uint32_t threads, build_progress *counted, const vdb_progress *progress)
{
    uint32_t n = partitions->sizes[p];
    uint32_t *members = malloc(sizeof *members * (n > 0 ? n : 1));
    vdb_store store;
    vdb_store_init_owned(&store, rows->dim);
    if (!members || vdb_store_reserve(&store, n) != VDB_OK) {
        free(members);
        vdb_store_destroy(&store);
        return VDB_ENOMEM;
    }
    vdb_partition_members(partitions, p, members);
    uint8_t *second = malloc(n > 0 ? n : 1); /* the rows whose home is another partition */
    vdb_code_store codes;
    vdb_walk_codes_init(&codes, rows->dim);
    vdb_hnsw local;
    int code = second && vdb_codes_reserve(&codes, n) == VDB_OK
                   ? vdb_hnsw_init(&local, &store, graph->metric, graph->m, graph->ef_construction, seed)
                   : VDB_ENOMEM;
    if (code == VDB_OK) {
        for (uint32_t i = 0; i < n; i++)
            second[i] = partitions->home[members[i]] != p;
        local.narrow = second;
        local.narrow_ef = second_copy_beam(graph->m, graph->ef_construction);
        code = link_in_batches(&local, &store, &codes, rows, members, n, threads, counted, progress);
        if (code == VDB_OK)
            for (uint32_t i = 0; i < n; i++) {
                uint32_t node = members[i], home = partitions->home[node], extra = partitions->extra[node];
                merge_links(graph, node, vdb_hnsw_links0(&local, i), members, p == (home < extra ? home : extra));
                uint32_t parent = local.parents[i];
                if (p == home)
                    graph->parents[node] =
                        parent != VDB_NO_NODE && partitions->home[members[parent]] == p ? members[parent] : VDB_NO_NODE;
            }
        vdb_hnsw_destroy(&local);
    }
    vdb_codes_destroy(&codes);
    vdb_store_destroy(&store);
    free(second);
    free(members);
    return code;
}

/*
 * Merging can drop a node's last in-link (a neighbour keeps only half the
 * links it had on each side), and a node no link reaches is lost to every
 * search. Give each such node a link from one of its own neighbours: a free
 * slot, or in place of a link whose target is reached from elsewhere too.
 */
static void link_orphans(vdb_hnsw *graph)
{
    vdb_hnsw_count_in_links(graph);
    for (uint32_t node = 0; node < graph->allocated; node++) {
        if (atomic_load_explicit(&graph->in_links0[node], memory_order_relaxed) > 0 || node == graph->entry)
            continue;
        const uint32_t *own = vdb_hnsw_links0(graph, node);
        for (uint32_t i = 1; i <= own[0]; i++) {
            uint32_t *block = vdb_hnsw_links0(graph, own[i]), slot = block[0] + 1;
            if (block[0] == graph->m0)
                for (slot = block[0]; slot > 0; slot--) /* the last link, among the farthest, with another way in */
                    if (atomic_load_explicit(&graph->in_links0[block[slot]], memory_order_relaxed) > 1)
                        break;
            if (slot == 0)
                continue;
            if (slot > block[0])
                block[0]++;
            else
                atomic_fetch_sub_explicit(&graph->in_links0[block[slot]], 1, memory_order_relaxed);
            block[slot] = node;
            vdb_hnsw_add_in_link(graph, node);
            break;
        }
    }
}

int vdb_partitioned_build(vdb_hnsw *graph, const vdb_build_rows *rows, const vdb_partition_plan *plan, uint64_t seed,
                          uint32_t threads, const vdb_progress *progress)
{
    const vdb_progress *caller = progress && progress->report ? progress : NULL;
    if (caller && caller->report(0, rows->count, caller->context) != 0)
        return VDB_ECANCELED;
    vdb_partitions partitions;
    int code = vdb_partitions_make(&partitions, rows, plan, seed, threads);
    if (code != VDB_OK)
        return code;
    if ((code = vdb_build_upper_layers(graph, rows, seed ^ 0x5851F42D4C957F2Dull, threads)) == VDB_OK) {
        memset(graph->parents, 0xFF, sizeof(uint32_t) * graph->allocated); /* VDB_NO_NODE */
        build_progress counted = {caller, rows->count, 0, 0};
        for (uint32_t p = 0; p < partitions.count; p++)
            counted.insertions += partitions.sizes[p];
        vdb_progress each = {report_partition, &counted};
        for (uint32_t p = 0; p < partitions.count && code == VDB_OK; p++)
            code = build_partition(graph, rows, &partitions, p, seed + p + 1, threads, &counted, caller ? &each : NULL);
    }
    vdb_partitions_destroy(&partitions);
    graph->count = graph->allocated;
    atomic_store(&graph->published, graph->allocated);
    if (code != VDB_OK)
        return code;
    link_orphans(graph);
    if (caller) /* all of it: too late to cancel, so the answer is not asked */
        (void)caller->report(rows->count, rows->count, caller->context);
    return VDB_OK;
}
