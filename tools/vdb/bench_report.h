/*
 * The results of `vdb bench` and their two presentations: an aligned table
 * for people, one JSON object for the benchmark harness.
 */
#ifndef VDB_CLI_BENCH_REPORT_H
#define VDB_CLI_BENCH_REPORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_row {
    uint32_t ef;       /* the beam width that ran (ef 0 resolved, raised to k) */
    double recall;     /* recall@k; NaN when there is no ground truth */
    double qps_single; /* queries per second, one thread, vdb_search in a loop */
    double qps_batch;  /* queries per second, vdb_search_batch on `threads` threads */
    double p50_ms;     /* per-query latency of the single-thread loop */
    double p99_ms;
    uint64_t mismatched; /* queries whose batch ids differ from the single-thread ids */
} bench_row;

typedef struct bench_report {
    const char *source;     /* the VECTORS or INDEX argument */
    int built;              /* 1: built in memory from a vector file; 0: an index file opened */
    double load_seconds;    /* build time (vdb_build calls) or vdb_open time (and vdb_set_disk_cache's) */
    int disk;               /* opened disk-resident (VDB_OPEN_DISK) */
    uint64_t cache_mb;      /* with disk: MiB of node blocks cached (vdb_set_disk_cache) */
    const char *truth_path; /* where ground-truth rows came from, NULL when none */
    uint64_t first, count;  /* the rows the index holds (and the ground truth covers) */
    uint32_t dim;
    int metric;
    uint32_t m, ef_construction, ef_search;
    int codes;           /* enum vdb_codes */
    uint32_t code_bytes; /* code bytes a vector for PQ; 0 for the others */
    uint32_t rerank;     /* 0: all ef candidates */
    uint64_t coded;      /* vectors with codes (vdb_coded): 0 while the codes are untrained */
    unsigned threads;    /* threads used for build / batch search / ground truth */
    uint32_t k;
    uint64_t nq;
    const char *query_source; /* a path, or NULL for random queries */
    uint64_t query_first;     /* first row of query_source used */
    uint64_t query_seed;
    double exact_seconds; /* brute-force time; 0 when skipped */
    const bench_row *rows;
    size_t nrows;
    uint64_t peak_rss;
} bench_report;

void bench_print_table(const bench_report *r);
void bench_print_json(const bench_report *r);

#endif
