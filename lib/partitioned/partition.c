/*
 * Partitions by squared Euclidean distance whatever the index's metric:
 * they only group rows that are near each other, which the graphs built in
 * them then link by the index's own metric.
 */
#include "partitioned/partition.h"

#include "kernels/distance.h"
#include "util/parallel.h"
#include "util/random.h"
#include "vdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    MAX_SAMPLE = 65536,         /* rows k-means learns from */
    SAMPLE_PER_PARTITION = 256, /* ... at least this many a centroid */
    ITERATIONS = 12,
    FIT_PERCENT = 95, /* of a partition's capacity the sample may fill: the rest absorbs the sample's error */
    SCAN_CHUNK = 1024 /* rows a worker takes at a time */
};

typedef struct {
    const float *centroids;
    uint32_t count, dim;
    vdb_distance_fn distance;
} centroid_set;

/* The two centroids nearest to row (second == first when there is one centroid) and their distances. */
static void nearest_two(const centroid_set *set, const float *row, uint16_t *first, uint16_t *second, float *d1,
                        float *d2)
{
    uint32_t best = 0, next = 0;
    float best_distance = INFINITY, next_distance = INFINITY;
    for (uint32_t c = 0; c < set->count; c++) {
        float distance = set->distance(row, set->centroids + (uint64_t)c * set->dim, set->dim);
        if (distance < best_distance) {
            next = best;
            next_distance = best_distance;
            best = c;
            best_distance = distance;
        } else if (distance < next_distance) {
            next = c;
            next_distance = distance;
        }
    }
    *first = (uint16_t)best;
    *second = (uint16_t)(set->count > 1 ? next : best);
    *d1 = best_distance;
    *d2 = next_distance;
}

/* Lloyd's k-means on `n` sample rows (n >= count), from `count` distinct sample rows. */
static void kmeans(float *centroids, uint32_t count, const float *sample, uint32_t n, uint32_t dim, uint64_t seed,
                   uint32_t *assigned, double *sums, uint32_t *members)
{
    uint64_t state = seed;
    for (uint32_t i = 0; i < n; i++)
        assigned[i] = i;
    for (uint32_t c = 0; c < count; c++) { /* a partial shuffle picks the starting rows */
        uint32_t pick = c + (uint32_t)(vdb_next_random(&state) % (n - c)), chosen = assigned[pick];
        assigned[pick] = assigned[c];
        assigned[c] = chosen;
        memcpy(centroids + (uint64_t)c * dim, sample + (uint64_t)chosen * dim, sizeof(float) * dim);
    }
    centroid_set set = {centroids, count, dim, vdb_distance_for(VDB_METRIC_L2)};
    for (int iteration = 0; iteration < ITERATIONS; iteration++) {
        memset(sums, 0, sizeof(double) * count * dim);
        memset(members, 0, sizeof(uint32_t) * count);
        for (uint32_t i = 0; i < n; i++) {
            uint16_t first, second;
            float d1, d2;
            nearest_two(&set, sample + (uint64_t)i * dim, &first, &second, &d1, &d2);
            members[first]++;
            for (uint32_t d = 0; d < dim; d++)
                sums[(uint64_t)first * dim + d] += sample[(uint64_t)i * dim + d];
        }
        for (uint32_t c = 0; c < count; c++) {
            /* An empty cluster restarts at a random row, so that no partition goes unused. */
            const float *restart = members[c] ? NULL : sample + (vdb_next_random(&state) % n) * dim;
            for (uint32_t d = 0; d < dim; d++)
                centroids[(uint64_t)c * dim + d] =
                    restart ? restart[d] : (float)(sums[(uint64_t)c * dim + d] / members[c]);
        }
    }
}

/* The largest share of the sample rows whose nearest centroid is the same one. */
static double largest_share(const centroid_set *set, const float *sample, uint32_t n, uint32_t *homes)
{
    memset(homes, 0, sizeof(uint32_t) * set->count);
    for (uint32_t i = 0; i < n; i++) {
        uint16_t first, second;
        float d1, d2;
        nearest_two(set, sample + (uint64_t)i * set->dim, &first, &second, &d1, &d2);
        homes[first]++;
    }
    uint32_t largest = 0;
    for (uint32_t c = 0; c < set->count; c++)
        largest = homes[c] > largest ? homes[c] : largest;
    return (double)largest / n;
}

/*
 * Centroids for at least plan->partitions partitions, more where k-means
 * leaves some partition more homes than its capacity: clustered data can
 * make a centroid's share of the rows several times another's. A partition
 * too full for a row's extra only costs the row that extra, but one too
 * full for its home sends it to a partition of rows far from it. More
 * partitions than needed cost recall (more boundaries) and time (a pass
 * over the rows each), so no more are added than that. Each try is judged
 * on the sample, before any pass over all rows. The sample is at most a
 * partition's rows, which the plan has room for.
 */
static int train_centroids(float **centroids, uint32_t *count, const vdb_build_rows *rows,
                           const vdb_partition_plan *plan, uint64_t seed)
{
    uint32_t n = rows->count < MAX_SAMPLE ? rows->count : MAX_SAMPLE, dim = rows->dim;
    if (n > plan->capacity)
        n = plan->capacity;
    uint32_t most = n / SAMPLE_PER_PARTITION > plan->partitions ? n / SAMPLE_PER_PARTITION : plan->partitions;
    if (most > VDB_MAX_PARTITIONS)
        most = VDB_MAX_PARTITIONS;
    if (n < most)
        n = most; /* k-means starts from distinct rows; the plan leaves more than this many */
    float *sample = malloc(sizeof(float) * n * dim), *found = malloc(sizeof(float) * most * dim);
    uint32_t *assigned = malloc(sizeof(uint32_t) * n), *members = malloc(sizeof(uint32_t) * most);
    double *sums = malloc(sizeof(double) * most * dim);
    int code = sample && found && assigned && members && sums ? VDB_OK : VDB_ENOMEM;
    if (code == VDB_OK) {
        for (uint32_t i = 0; i < n; i++) /* spread evenly over the rows */
            memcpy(sample + (uint64_t)i * dim, vdb_build_row(rows, (uint32_t)((uint64_t)i * rows->count / n)),
                   sizeof(float) * dim);
        double room = (double)plan->capacity * FIT_PERCENT / 100 / rows->count;
        uint32_t tried = plan->partitions < most ? plan->partitions : most;
        for (;;) {
            kmeans(found, tried, sample, n, dim, seed, assigned, sums, members);
            centroid_set set = {found, tried, dim, vdb_distance_for(VDB_METRIC_L2)};
            if (tried == most || largest_share(&set, sample, n, members) <= room)
                break;
            tried = tried + tried / 4 + 1 < most ? tried + tried / 4 + 1 : most;
        }
        *count = tried;
        *centroids = found;
        found = NULL;
    }
    free(sample);
    free(found);
    free(assigned);
    free(members);
    free(sums);
    return code;
}

typedef struct {
    const vdb_build_rows *rows;
    centroid_set set;
    uint16_t *near1, *near2;
    float *ratio; /* distance to the second nearest over distance to the nearest: near 1 is near a boundary */
} scan_job;

static void scan_rows(void *raw, uint64_t begin, uint64_t end, uint32_t worker)
{
    (void)worker;
    scan_job *job = raw;
    for (uint64_t i = begin; i < end; i++) {
        float d1, d2;
        nearest_two(&job->set, vdb_build_row(job->rows, (uint32_t)i), &job->near1[i], &job->near2[i], &d1, &d2);
        job->ratio[i] = d1 > 0.0f ? d2 / d1 : INFINITY; /* a row on a centroid is at no boundary */
    }
}

/* Each row to its nearest partition with room, else its second, else the emptiest. */
static void choose_homes(vdb_partitions *out, const scan_job *scan, uint32_t capacity)
{
    for (uint32_t i = 0; i < scan->rows->count; i++) {
        uint16_t home = scan->near1[i];
        if (out->sizes[home] >= capacity)
            home = scan->near2[i];
        if (out->sizes[home] >= capacity)
            for (uint32_t p = 0; p < out->count; p++)
                if (out->sizes[p] < out->sizes[home])
                    home = (uint16_t)p;
        out->home[i] = home;
        out->sizes[home]++;
    }
}

typedef struct {
    float ratio;
    uint32_t row;
} boundary_row;

static int nearer_boundary_first(const void *a, const void *b)
{
    const boundary_row *x = a, *y = b;
    if (x->ratio != y->ratio)
        return x->ratio < y->ratio ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/*
 * The `extras` rows nearest to a boundary (smallest ratio) also go to the
 * partition across it, nearest first, while that partition has room: where
 * room runs out, the rows that needed it most have it.
 */
static int choose_extras(vdb_partitions *out, const scan_job *scan, uint32_t capacity, uint32_t extras)
{
    uint32_t n = scan->rows->count;
    for (uint32_t i = 0; i < n; i++)
        out->extra[i] = VDB_NO_PARTITION;
    if (extras == 0 || out->count < 2)
        return VDB_OK;
    boundary_row *order = malloc(sizeof *order * n);
    if (!order)
        return VDB_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        order[i] = (boundary_row){scan->ratio[i], i};
    qsort(order, n, sizeof *order, nearer_boundary_first);
    for (uint32_t i = 0, given = 0; i < n && given < extras; i++) {
        uint32_t row = order[i].row;
        uint16_t home = out->home[row], across = scan->near1[row] == home ? scan->near2[row] : scan->near1[row];
        if (across != home && out->sizes[across] < capacity) {
            out->extra[row] = across;
            out->sizes[across]++;
            given++;
        }
    }
    free(order);
    return VDB_OK;
}

int vdb_partitions_make(vdb_partitions *out, const vdb_build_rows *rows, const vdb_partition_plan *plan, uint64_t seed,
                        uint32_t threads)
{
    uint32_t n = rows->count, count = 0;
    memset(out, 0, sizeof *out);
    float *centroids = NULL;
    int code = train_centroids(&centroids, &count, rows, plan, seed);
    if (code != VDB_OK)
        return code;
    out->count = count;
    out->home = malloc(sizeof(uint16_t) * n);
    out->extra = malloc(sizeof(uint16_t) * n);
    out->sizes = calloc(count, sizeof(uint32_t));
    scan_job scan = {rows,
                     {centroids, count, rows->dim, vdb_distance_for(VDB_METRIC_L2)},
                     malloc(sizeof(uint16_t) * n),
                     malloc(sizeof(uint16_t) * n),
                     malloc(sizeof(float) * n)};
    code = out->home && out->extra && out->sizes && scan.near1 && scan.near2 && scan.ratio ? VDB_OK : VDB_ENOMEM;
    if (code == VDB_OK) {
        vdb_parallel_for(threads, n, SCAN_CHUNK, scan_rows, &scan);
        choose_homes(out, &scan, plan->capacity);
        code = choose_extras(out, &scan, plan->capacity, plan->extras);
    }
    free(centroids);
    free(scan.near1);
    free(scan.near2);
    free(scan.ratio);
    if (code != VDB_OK)
        vdb_partitions_destroy(out);
    return code;
}

void vdb_partition_members(const vdb_partitions *partitions, uint32_t p, uint32_t *members)
{
    uint32_t found = 0;
    for (uint32_t i = 0; found < partitions->sizes[p]; i++)
        if (partitions->home[i] == p || partitions->extra[i] == p)
            members[found++] = i;
}

void vdb_partitions_destroy(vdb_partitions *partitions)
{
    free(partitions->home);
    free(partitions->extra);
    free(partitions->sizes);
    memset(partitions, 0, sizeof *partitions);
}
