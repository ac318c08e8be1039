/*
 * Percentiles use the nearest-rank definition (the smallest value with at
 * least p% of the values at or below it): no interpolation, so every reported
 * latency is one that a query really took.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double stats_percentile(double *values, size_t n, double p)
{
    if (n == 0)
        return NAN;
    qsort(values, n, sizeof *values, compare_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return values[rank - 1];
}

double stats_recall(const uint64_t *approx, const uint32_t *found, const uint64_t *exact, uint64_t nq, uint32_t k,
                    uint32_t k_exact)
{
    if (nq == 0 || k_exact == 0)
        return NAN;
    uint64_t *truth = malloc((size_t)k_exact * sizeof *truth);
    unsigned char *used = malloc(k_exact);
    if (!truth || !used) {
        free(truth);
        free(used);
        return NAN;
    }
    double sum = 0;
    for (uint64_t q = 0; q < nq; q++) {
        memcpy(truth, exact + q * k, (size_t)k_exact * sizeof *truth);
        qsort(truth, k_exact, sizeof *truth, compare_u64);
        memset(used, 0, k_exact);
        uint32_t hits = 0, n = found[q] < k ? found[q] : k;
        for (uint32_t i = 0; i < n; i++) {
            const uint64_t *at = bsearch(&approx[q * k + i], truth, k_exact, sizeof *truth, compare_u64);
            if (at && !used[at - truth]) {
                used[at - truth] = 1;
                hits++;
            }
        }
        sum += (double)hits / k_exact;
    }
    free(used);
    free(truth);
    return sum / (double)nq;
}
