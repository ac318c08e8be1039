/*
 * Building a graph over rows of a vector file. The rows are linked in one
 * vdb_build call (the library shares them among its worker threads); the bar
 * is drawn from the library's progress callback, which runs on this thread.
 */
#include "build_index.h"

#include "cli_args.h"
#include "progress.h"
#include "timing.h"

#include <stdio.h>

int build_index(const char *cmd, const build_request *req, build_result *out)
{
    if (req->memory_mb > UINT64_MAX >> 20) {
        cli_error(cmd, "--memory-mb %llu is too large", (unsigned long long)req->memory_mb);
        return -1;
    }
    vdb_index *index;
    int rc = vdb_map_vectors(&index, req->vectors_path, &req->config);
    if (rc != VDB_OK) {
        cli_file_error(cmd, rc, "cannot map", req->vectors_path);
        return -1;
    }
    uint64_t rows = vdb_rows(index);
    if (req->first >= rows) {
        cli_error(cmd, "--first %llu is past the end of '%s' (%llu rows)", (unsigned long long)req->first,
                  req->vectors_path, (unsigned long long)rows);
        vdb_close(index);
        return -1;
    }
    uint64_t count = req->count == BUILD_ALL_ROWS ? rows - req->first : req->count;
    if (count == 0 || count > rows - req->first) {
        if (count == 0)
            cli_error(cmd, "--count 0: no rows to build");
        else
            cli_error(cmd, "rows %llu..%llu are past the end of '%s' (%llu rows)", (unsigned long long)req->first,
                      (unsigned long long)(req->first + count - 1), req->vectors_path, (unsigned long long)rows);
        vdb_close(index);
        return -1;
    }

    progress bar;
    progress_start(&bar, "build", "rows", 1, count, req->progress);
    /* Only a drawn bar needs the callback; without one the build asks nothing. */
    if (bar.enabled)
        rc = vdb_set_progress(index, progress_report, &bar);
    if (rc == VDB_OK && req->memory_mb > 0)
        rc = vdb_set_build_memory(index, req->memory_mb << 20);
    double start = timing_now();
    if (rc == VDB_OK)
        rc = vdb_build(index, req->first, count);
    double seconds = timing_now() - start;
    vdb_set_progress(index, NULL, NULL);
    progress_finish(&bar);
    if (rc != VDB_OK) {
        cli_lib_error(cmd, rc, "building rows %llu..%llu", (unsigned long long)req->first,
                      (unsigned long long)(req->first + count - 1));
        vdb_close(index);
        return -1;
    }

    out->index = index;
    out->first = req->first;
    out->count = count;
    out->dim = vdb_dim(index);
    out->seconds = seconds;
    return 0;
}
