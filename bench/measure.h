/*
 * What the C benchmarks share: loading a vector file into memory, the exact
 * k nearest among a subset of it (float32, a plain loop written here, never
 * the library's), recall, and queries per second on one thread as the
 * median of several passes.
 */
#ifndef VDB_BENCH_MEASURE_H
#define VDB_BENCH_MEASURE_H

#include <vdb.h>

#include <stdint.h>

typedef struct {
    float *rows;
    uint64_t count;
    uint32_t dim;
} bench_rows;

/* The rows [first, first + count) of a vector file (count 0: to the end); exits on failure. */
bench_rows bench_load(const char *path, uint64_t first, uint64_t count);

double bench_seconds(void);

/*
 * Exact k nearest (squared L2) of each query among the rows whose positions
 * are listed in `subset` (n of them); exact[q*k + i] is ids[position], nearest
 * first. Runs on all cores.
 */
void bench_exact(const bench_rows *base, const uint64_t *subset, uint64_t n, const uint64_t *ids,
                 const bench_rows *queries, uint32_t k, uint64_t *exact);

/* Fraction of exact[q*k ..] found in found[q*k ..], over nq queries. */
double bench_recall(const uint64_t *found, const uint64_t *exact, uint64_t nq, uint32_t k);

/* A search of one query: the ids of its k results into ids. */
typedef int (*bench_search_fn)(const void *context, const float *query, uint32_t k, uint64_t *ids);

/*
 * Search every query on this thread, `passes` times; results of the last pass
 * go to ids (nq * k). Returns the median queries per second.
 */
double bench_qps(bench_search_fn search, const void *context, const bench_rows *queries, uint32_t k, unsigned passes,
                 uint64_t *ids);

/* Exit with a message if code is not VDB_OK. */
void bench_check(int code, const char *what);

#endif
