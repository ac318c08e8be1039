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

int build_index(const char *cmd, const build_request *req, build_result *out)
{
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
    out->dim = vdb_dim(index);
    out->seconds = seconds;
    return 0;
}
