/*
 * Building a graph over rows of a vector file, shared by `vdb build` and
 * `vdb bench`: map the file, link the rows, draw progress while they link.
 */
#ifndef VDB_CLI_BUILD_INDEX_H
#define VDB_CLI_BUILD_INDEX_H

#include "vdb.h"

#include <stdint.h>

typedef struct build_request {
    const char *vectors_path;
    vdb_config config; /* config.dim: 0, or the file's dimension (needed for raw files) */
    uint64_t first;
    uint64_t count;     /* rows to build; ALL_ROWS for first..end of file */
    int progress;       /* draw a bar on stderr if it is a terminal */
    uint64_t memory_mb; /* vdb_set_build_memory in MiB; 0 for no bound */
} build_request;

#define BUILD_ALL_ROWS UINT64_MAX

typedef struct build_result {
    vdb_index *index; /* owned by the caller */
    uint64_t first;
    uint64_t count;
    uint32_t dim;
    double seconds; /* vdb_build time, mapping excluded */
} build_result;

/* 0 on success; on failure the error is printed as "vdb <cmd>: ..." and nothing is returned. */
int build_index(const char *cmd, const build_request *req, build_result *out);

#endif
