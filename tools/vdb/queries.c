/*
 * Query loading. Text parsing is strict (every token must be a whole finite
 * number) because a silently skipped token would shift every later float and
 * still give plausible-looking results.
 */
#include "queries.h"

#include "cli_args.h"
#include "rng.h"
#include "vdb.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int queries_from_file(const char *cmd, const char *path, uint32_t dim, uint64_t first, uint64_t limit, float **out,
                      uint64_t *n, uint32_t *out_dim)
{
    vdb_vectors *vectors;
    int rc = vdb_vectors_open(&vectors, path, dim);
    if (rc != VDB_OK) {
        cli_file_error(cmd, rc, "cannot read queries", path);
        return -1;
    }
    uint64_t total = vdb_vectors_count(vectors);
    uint32_t d = vdb_vectors_dim(vectors);
    uint64_t rows = first < total ? total - first : 0;
    if (rows > limit)
        rows = limit;
    if (rows == 0) {
        cli_error(cmd, "'%s' holds no queries from row %llu on (it has %llu rows)", path, (unsigned long long)first,
                  (unsigned long long)total);
        vdb_vectors_close(vectors);
        return -1;
    }
    float *buf = malloc((size_t)rows * d * sizeof *buf);
    if (!buf) {
        cli_error(cmd, "out of memory for %llu queries of %u floats", (unsigned long long)rows, d);
        vdb_vectors_close(vectors);
        return -1;
    }
    for (uint64_t i = 0; i < rows; i++) {
        const float *row = vdb_vectors_row(vectors, first + i);
        if (!row) {
            cli_error(cmd, "cannot read row %llu of '%s'", (unsigned long long)(first + i), path);
            free(buf);
            vdb_vectors_close(vectors);
            return -1;
        }
        memcpy(buf + i * d, row, (size_t)d * sizeof *buf);
    }
    vdb_vectors_close(vectors);
    *out = buf;
    *n = rows;
    *out_dim = d;
    return 0;
}

float *queries_random(uint64_t n, uint32_t dim, uint64_t seed)
{
    float *buf = malloc((size_t)n * dim * sizeof *buf);
    if (!buf)
        return NULL;
    rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < (size_t)n * dim; i++)
        buf[i] = rng_uniform_float(&r);
    return buf;
}

static int is_separator(char c) { return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n'; }

int queries_parse_line(const char *line, float *buf, uint32_t cap, uint64_t *count, const char **bad)
{
    uint64_t got = 0;
    const char *p = line;
    for (;;) {
        while (*p && is_separator(*p))
            p++;
        if (!*p)
            break;
        char *end;
        float v = strtof(p, &end);
        /*
         * The token must end at a separator: "1.5x" and "1.5.2" are not numbers.
         * Overflow comes back as inf and is refused; underflow to ~0 is harmless.
         */
        if (end == p || (*end && !is_separator(*end)) || !isfinite(v)) {
            *bad = p;
            return QUERY_LINE_BAD_TOKEN;
        }
        if (got < cap)
            buf[got] = v;
        got++;
        p = end;
    }
    *count = got;
    return got == 0 ? QUERY_LINE_BLANK : QUERY_LINE_OK;
}
