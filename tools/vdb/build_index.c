/*
 * The chunked build. vdb_build is one call for any number of rows; it is
 * called here for about 1% of the rows at a time (at least CHUNK_MIN, so the
 * worker threads always have enough rows to share) only so that progress can
 * be drawn between calls. The library links rows in parallel inside each call.
 */
#include "build_index.h"

#include "cli_args.h"
#include "progress.h"
#include "timing.h"

#include <stdio.h>

enum { CHUNK_MIN = 4096 };

/* Row count and dimension of the file, with the library's own error text for bad files. */
static int probe_file(const char *cmd, const char *path, uint32_t dim, uint64_t *rows, uint32_t *file_dim)
{
    vdb_vectors *vectors;
    int rc = vdb_vectors_open(&vectors, path, dim);
    if (rc != VDB_OK) {
        cli_file_error(cmd, rc, "cannot read vectors", path);
        return -1;
    }
    *rows = vdb_vectors_count(vectors);
    *file_dim = vdb_vectors_dim(vectors);
    vdb_vectors_close(vectors);
    return 0;
}

int build_index(const char *cmd, const build_request *req, build_result *out)
{
    uint64_t rows;
    uint32_t dim;
    if (probe_file(cmd, req->vectors_path, req->config.dim, &rows, &dim) != 0)
        return -1;
    if (req->first >= rows) {
        cli_error(cmd, "--first %llu is past the end of '%s' (%llu rows)", (unsigned long long)req->first,
                  req->vectors_path, (unsigned long long)rows);
        return -1;
    }
    uint64_t count = req->count == BUILD_ALL_ROWS ? rows - req->first : req->count;
    if (count == 0) {
        cli_error(cmd, "--count 0: no rows to build");
        return -1;
    }
    if (count > rows - req->first) {
        cli_error(cmd, "rows %llu..%llu are past the end of '%s' (%llu rows)", (unsigned long long)req->first,
                  (unsigned long long)(req->first + count - 1), req->vectors_path, (unsigned long long)rows);
        return -1;
    }

    vdb_config cfg = req->config;
    cfg.dim = dim;
    vdb_index *index;
    int rc = vdb_map_vectors(&index, req->vectors_path, &cfg);
    if (rc != VDB_OK) {
        cli_file_error(cmd, rc, "cannot map", req->vectors_path);
        return -1;
    }

    uint64_t chunk = count / 100 > CHUNK_MIN ? count / 100 : CHUNK_MIN;
    progress bar;
    progress_start(&bar, "build", "rows", 1, count, req->progress);
    double start = timing_now();
    for (uint64_t done = 0; done < count;) {
        uint64_t n = count - done < chunk ? count - done : chunk;
        rc = vdb_build(index, req->first + done, n);
        if (rc != VDB_OK) {
            progress_finish(&bar);
            cli_lib_error(cmd, rc, "building rows %llu..%llu", (unsigned long long)(req->first + done),
                          (unsigned long long)(req->first + done + n - 1));
            vdb_close(index);
            return -1;
        }
        done += n;
        progress_update(&bar, done);
    }
    double seconds = timing_now() - start;
    progress_finish(&bar);

    out->index = index;
    out->first = req->first;
    out->count = count;
    out->dim = dim;
    out->seconds = seconds;
    return 0;
}
