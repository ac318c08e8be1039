#include "api/checks.h"

#include "util/error.h"

#include <math.h>

uint64_t vdb_first_non_finite(const float *rows, uint64_t n, uint32_t dim, uint64_t stride)
{
    for (uint64_t row = 0; row < n; row++)
        for (uint32_t i = 0; i < dim; i++)
            if (!isfinite(rows[row * stride + i]))
                return row;
    return n;
}

int vdb_check_search(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, const uint64_t *ids)
{
    if (!index || !queries || !ids)
        return vdb_fail(VDB_EINVAL, "%s is NULL", !index ? "index" : !queries ? "query" : "ids");
    if (k == 0)
        return vdb_fail(VDB_EINVAL, "k must be at least 1");
    uint64_t bad = vdb_first_non_finite(queries, nq, index->config.dim, index->config.dim);
    if (bad < nq)
        return vdb_fail(VDB_EINVAL, "query %llu holds NaN or Inf", (unsigned long long)bad);
    return VDB_OK;
}
