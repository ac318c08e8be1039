/*
 * The exact k-NN is a plain loop over float32 rows kept in a max-heap of k,
 * split over the cores by query. It is written here, not taken from the
 * library, so that the library is never graded against itself.
 */
#define _GNU_SOURCE
#include "measure.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void bench_check(int code, const char *what)
{
    if (code == VDB_OK)
        return;
    fprintf(stderr, "%s: %s (%s)\n", what, vdb_strerror(code), vdb_last_error());
    exit(1);
}

double bench_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

bench_rows bench_load(const char *path, uint64_t first, uint64_t count)
{
    vdb_vectors *file = NULL;
    bench_check(vdb_vectors_open(&file, path, 0), path);
    uint64_t rows = vdb_vectors_count(file);
    if (first > rows || (count && count > rows - first)) {
        fprintf(stderr, "%s has %llu rows; rows %llu..%llu were asked for\n", path, (unsigned long long)rows,
                (unsigned long long)first, (unsigned long long)(first + count));
        exit(1);
    }
    if (count == 0)
        count = rows - first;
    bench_rows out = {malloc(sizeof(float) * vdb_vectors_dim(file) * count), count, vdb_vectors_dim(file)};
    if (!out.rows) {
        fprintf(stderr, "out of memory loading %s\n", path);
        exit(1);
    }
    for (uint64_t i = 0; i < count; i++)
        memcpy(out.rows + i * out.dim, vdb_vectors_row(file, first + i), sizeof(float) * out.dim);
    vdb_vectors_close(file);
    return out;
}

typedef struct {
    const bench_rows *base, *queries;
    const uint64_t *subset, *ids;
    uint64_t n, next_query;
    uint32_t k;
    uint64_t *exact;
    pthread_mutex_t lock;
} exact_job;

static float squared_l2(const float *a, const float *b, uint32_t dim)
{
    float sum = 0;
    for (uint32_t i = 0; i < dim; i++) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

typedef struct {
    float distance;
    uint64_t id;
} hit;

/* A max-heap of hits: the farthest on top. */
static void sift_up(hit *heap, uint32_t at)
{
    hit item = heap[at];
    for (; at > 0 && heap[(at - 1) / 2].distance < item.distance; at = (at - 1) / 2)
        heap[at] = heap[(at - 1) / 2];
    heap[at] = item;
}

static void sift_down(hit *heap, uint32_t size, uint32_t at)
{
    hit item = heap[at];
    for (;;) {
        uint32_t child = 2 * at + 1;
        if (child >= size)
            break;
        if (child + 1 < size && heap[child + 1].distance > heap[child].distance)
            child++;
        if (heap[child].distance <= item.distance)
            break;
        heap[at] = heap[child];
        at = child;
    }
    heap[at] = item;
}

static void exact_one(const exact_job *job, uint64_t q, hit *heap)
{
    const float *query = job->queries->rows + q * job->queries->dim;
    uint32_t size = 0, k = job->k;
    for (uint64_t j = 0; j < job->n; j++) {
        uint64_t position = job->subset ? job->subset[j] : j;
        float d = squared_l2(query, job->base->rows + position * job->base->dim, job->base->dim);
        hit item = {d, job->ids ? job->ids[position] : position};
        if (size < k) {
            heap[size] = item;
            sift_up(heap, size++);
        } else if (d < heap[0].distance) {
            heap[0] = item;
            sift_down(heap, size, 0);
        }
    }
    uint64_t *out = job->exact + q * k;
    for (uint32_t i = size; i < k; i++)
        out[i] = UINT64_MAX;
    while (size > 0) { /* the farthest to the back */
        out[size - 1] = heap[0].id;
        heap[0] = heap[--size];
        sift_down(heap, size, 0);
    }
}

static void *exact_worker(void *raw)
{
    exact_job *job = raw;
    hit *heap = malloc(sizeof *heap * job->k);
    for (;;) {
        pthread_mutex_lock(&job->lock);
        uint64_t q = job->next_query++;
        pthread_mutex_unlock(&job->lock);
        if (q >= job->queries->count)
            break;
        exact_one(job, q, heap);
    }
    free(heap);
    return NULL;
}

void bench_exact(const bench_rows *base, const uint64_t *subset, uint64_t n, const uint64_t *ids,
                 const bench_rows *queries, uint32_t k, uint64_t *exact)
{
    exact_job job = {base, queries, subset, ids, n, 0, k, exact, PTHREAD_MUTEX_INITIALIZER};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_t threads[64];
    int started = 0;
    for (long t = 1; t < cores && t < 64; t++)
        started += pthread_create(&threads[started], NULL, exact_worker, &job) == 0;
    exact_worker(&job);
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
}

double bench_recall(const uint64_t *found, const uint64_t *exact, uint64_t nq, uint32_t k)
{
    uint64_t hits = 0, wanted = 0;
    for (uint64_t q = 0; q < nq; q++)
        for (uint32_t i = 0; i < k; i++) {
            if (exact[q * k + i] == UINT64_MAX)
                continue;
            wanted++;
            for (uint32_t j = 0; j < k; j++)
                if (found[q * k + j] == exact[q * k + i]) {
                    hits++;
                    break;
                }
        }
    return wanted ? (double)hits / (double)wanted : 1.0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_qps(bench_search_fn search, const void *context, const bench_rows *queries, uint32_t k, unsigned passes,
                 uint64_t *ids)
{
    double qps[16];
    if (passes > 16)
        passes = 16;
    for (unsigned pass = 0; pass < passes; pass++) {
        double started = bench_seconds();
        for (uint64_t q = 0; q < queries->count; q++)
            bench_check(search(context, queries->rows + q * queries->dim, k, ids + q * k), "search");
        qps[pass] = (double)queries->count / (bench_seconds() - started);
    }
    qsort(qps, passes, sizeof qps[0], compare_doubles);
    return qps[passes / 2];
}
