/*
 * Argument checks the API's calls share. Each returns VDB_OK or fails with
 * a message naming what was wrong (the row, the id, the parameter).
 */
#ifndef VDB_API_CHECKS_H
#define VDB_API_CHECKS_H

#include "index/index.h"

/* Index of the first row holding NaN or Inf, or n when all are finite. */
uint64_t vdb_first_non_finite(const float *rows, uint64_t n, uint32_t dim, uint64_t stride);

/* A search's arguments: index, queries (all finite), k, ids. */
int vdb_check_search(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, const uint64_t *ids);

#endif
