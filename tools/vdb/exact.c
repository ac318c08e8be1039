/*
 * Brute-force k-NN. Each thread takes a contiguous slice of the queries and
 * walks the rows in blocks of ROW_BLOCK: every query of the slice is compared
 * with a block while the block is still in cache, so the data set streams
 * from memory once per thread instead of once per query.
 *
 * The sums use four independent accumulators. That is still plain scalar
 * double arithmetic (float * float is exact in double), but it breaks the
 * one long dependency chain that would otherwise make this several times
 * slower than it needs to be.
 */
#include "exact.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

enum { ROW_BLOCK = 256 };

unsigned exact_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static double dot_double(const float *a, const float *b, uint32_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)a[i] * b[i];
        s1 += (double)a[i + 1] * b[i + 1];
        s2 += (double)a[i + 2] * b[i + 2];
        s3 += (double)a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += (double)a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static double l2_double(const float *a, const float *b, uint32_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        double d0 = (double)a[i] - b[i], d1 = (double)a[i + 1] - b[i + 1];
        double d2 = (double)a[i + 2] - b[i + 2], d3 = (double)a[i + 3] - b[i + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < n; i++) {
        double d = (double)a[i] - b[i];
        s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
}

static double cosine_from(double dot, double norm_a, double norm_b)
{
    if (norm_a == 0 || norm_b == 0)
        return 1.0;
    return 1.0 - dot / (norm_a * norm_b);
}

double exact_distance(int metric, const float *a, const float *b, uint32_t dim)
{
    switch (metric) {
    case VDB_METRIC_IP: return 1.0 - dot_double(a, b, dim);
    case VDB_METRIC_COSINE:
        return cosine_from(dot_double(a, b, dim), sqrt(dot_double(a, a, dim)), sqrt(dot_double(b, b, dim)));
    default: return l2_double(a, b, dim);
    }
}

/* A bounded max-heap of the k best (distance, id) pairs seen; the worst sits on top. */
typedef struct topk {
    double *dist;
    uint64_t *id;
    uint32_t size;
} topk;

static int worse(double da, uint64_t ia, double db, uint64_t ib) { return da > db || (da == db && ia > ib); }

/* Put (d, id) at slot i of a heap of n entries, moving worse children up past it. */
static void sift_down(topk *h, uint32_t n, uint32_t i, double d, uint64_t id)
{
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && worse(h->dist[child + 1], h->id[child + 1], h->dist[child], h->id[child]))
            child++;
        if (!worse(h->dist[child], h->id[child], d, id))
            break;
        h->dist[i] = h->dist[child];
        h->id[i] = h->id[child];
        i = child;
    }
    h->dist[i] = d;
    h->id[i] = id;
}

static void topk_push(topk *h, uint32_t k, double d, uint64_t id)
{
    if (h->size == k) {
        if (worse(h->dist[0], h->id[0], d, id))
            sift_down(h, k, 0, d, id); /* replace the worst */
        return;
    }
    uint32_t i = h->size++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!worse(d, id, h->dist[parent], h->id[parent]))
            break;
        h->dist[i] = h->dist[parent];
        h->id[i] = h->id[parent];
        i = parent;
    }
    h->dist[i] = d;
    h->id[i] = id;
}

/* Pop everything, writing nearest first; slots past the heap's size get the "no result" values. */
static void topk_drain(topk *h, uint32_t k, uint64_t *ids, double *distances)
{
    for (uint32_t i = h->size; i < k; i++) {
        ids[i] = UINT64_MAX;
        if (distances)
            distances[i] = INFINITY;
    }
    while (h->size > 0) {
        uint32_t last = --h->size;
        ids[last] = h->id[0];
        if (distances)
            distances[last] = h->dist[0];
        if (last > 0)
            sift_down(h, last, 0, h->dist[last], h->id[last]);
    }
}

typedef struct exact_job {
    const exact_request *req;
    uint64_t q0, q1;
    uint32_t k; /* min(req->k, count): the heap's capacity */
    uint64_t *ids;
    double *distances;
    int report_progress;
    int error;
} exact_job;

static void *exact_worker(void *arg)
{
    exact_job *job = arg;
    const exact_request *req = job->req;
    uint64_t nq = job->q1 - job->q0;
    uint32_t k = job->k, dim = req->dim;
    double *heap_dist = malloc((size_t)nq * k * sizeof *heap_dist);
    uint64_t *heap_id = malloc((size_t)nq * k * sizeof *heap_id);
    uint32_t *heap_size = calloc((size_t)nq, sizeof *heap_size);
    double *query_norm = malloc((size_t)nq * sizeof *query_norm);
    const float *rows[ROW_BLOCK];
    double row_norm[ROW_BLOCK];
    if (!heap_dist || !heap_id || !heap_size || !query_norm) {
        job->error = ENOMEM;
        goto done;
    }
    for (uint64_t q = 0; q < nq; q++) {
        const float *query = req->queries + (job->q0 + q) * dim;
        query_norm[q] = sqrt(dot_double(query, query, dim));
    }
    for (uint64_t start = 0; start < req->count; start += ROW_BLOCK) {
        uint32_t n = req->count - start < ROW_BLOCK ? (uint32_t)(req->count - start) : ROW_BLOCK;
        for (uint32_t r = 0; r < n; r++) {
            rows[r] = vdb_vectors_row(req->vectors, req->first + start + r);
            row_norm[r] = req->metric == VDB_METRIC_COSINE ? sqrt(dot_double(rows[r], rows[r], dim)) : 0;
        }
        for (uint64_t q = 0; q < nq; q++) {
            const float *query = req->queries + (job->q0 + q) * dim;
            topk h = {heap_dist + q * k, heap_id + q * k, heap_size[q]};
            for (uint32_t r = 0; r < n; r++) {
                double d;
                if (req->metric == VDB_METRIC_L2)
                    d = l2_double(query, rows[r], dim);
                else if (req->metric == VDB_METRIC_IP)
                    d = 1.0 - dot_double(query, rows[r], dim);
                else
                    d = cosine_from(dot_double(query, rows[r], dim), query_norm[q], row_norm[r]);
                topk_push(&h, k, d, req->first + start + r);
            }
            heap_size[q] = h.size;
        }
        if (job->report_progress && req->bar)
            progress_update(req->bar, (uint64_t)((double)(start + n) / (double)req->count * (double)req->bar->total));
    }
    for (uint64_t q = 0; q < nq; q++) {
        topk h = {heap_dist + q * k, heap_id + q * k, heap_size[q]};
        uint64_t global = job->q0 + q;
        topk_drain(&h, req->k, job->ids + global * req->k, job->distances ? job->distances + global * req->k : NULL);
    }
done:
    free(query_norm);
    free(heap_size);
    free(heap_id);
    free(heap_dist);
    return NULL;
}

int exact_knn(const exact_request *req, uint64_t *ids, double *distances)
{
    if (req->nq == 0)
        return 0;
    unsigned threads = req->threads ? req->threads : exact_online_cores();
    if (threads > req->nq)
        threads = (unsigned)req->nq;
    exact_job *jobs = calloc(threads, sizeof *jobs);
    pthread_t *tids = calloc(threads, sizeof *tids);
    if (!jobs || !tids) {
        free(jobs);
        free(tids);
        errno = ENOMEM;
        return -1;
    }
    uint32_t k = req->count < req->k ? (uint32_t)req->count : req->k;
    unsigned started = 0;
    int error = 0;
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (exact_job){req, req->nq * t / threads, req->nq * (t + 1) / threads, k, ids, distances, t == 0, 0};
        int rc = pthread_create(&tids[t], NULL, exact_worker, &jobs[t]);
        if (rc != 0) {
            error = rc;
            break;
        }
        started++;
    }
    for (unsigned t = 0; t < started; t++) {
        pthread_join(tids[t], NULL);
        if (jobs[t].error && !error)
            error = jobs[t].error;
    }
    free(jobs);
    free(tids);
    if (error) {
        errno = error;
        return -1;
    }
    return 0;
}
