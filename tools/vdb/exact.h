/*
 * Exact k-nearest neighbours by brute force: the ground truth recall is
 * measured against. Deliberately independent of libvdb's distance kernels:
 * plain scalar code in double precision, so a bug in a SIMD kernel shows up
 * as lost recall instead of being copied into the reference.
 */
#ifndef VDB_CLI_EXACT_H
#define VDB_CLI_EXACT_H

#include "progress.h"
#include "vdb.h"

#include <stdint.h>

typedef struct exact_request {
    const vdb_vectors *vectors; /* rows are read from here... */
    uint64_t first, count;      /* ...rows [first, first + count); ids are row numbers */
    int metric;                 /* enum vdb_metric */
    const float *queries;       /* nq rows of dim floats */
    uint64_t nq;
    uint32_t dim;
    uint32_t k;       /* slots per query; min(k, count) are filled, the rest get UINT64_MAX / +inf */
    unsigned threads; /* 0 = all online cores */
    progress *bar;    /* may be NULL */
} exact_request;

/*
 * Fill ids[nq*k] (and distances[nq*k] unless NULL), nearest first, ties broken
 * by the smaller id. 0 on success, -1 with errno set (ENOMEM, or what
 * pthread_create returned).
 */
int exact_knn(const exact_request *req, uint64_t *ids, double *distances);

/* The metric in double precision, as libvdb defines it: squared L2, 1 - dot, 1 - cos (a zero vector: 1). */
double exact_distance(int metric, const float *a, const float *b, uint32_t dim);

/* Online cores (at least 1). */
unsigned exact_online_cores(void);

#endif
