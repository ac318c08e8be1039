/* The benchmark's arithmetic: percentiles of latencies and recall against exact results. */
#ifndef VDB_CLI_STATS_H
#define VDB_CLI_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Sort values ascending in place, then return the nearest-rank p-th percentile (0 < p <= 100). */
double stats_percentile(double *values, size_t n, double p);

/*
 * Mean over queries of |approx ∩ exact| / k_exact, where approx[q] is the
 * first found[q] of k slots and exact[q] the first k_exact of k slots
 * (k_exact = min(k, rows searched)). An id the index returns twice counts once.
 */
double stats_recall(const uint64_t *approx, const uint32_t *found, const uint64_t *exact, uint64_t nq, uint32_t k,
                    uint32_t k_exact);

#endif
