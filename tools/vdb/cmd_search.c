/*
 * `vdb search`: k nearest neighbours for queries from a vector file or from
 * text on stdin. Stdin queries are answered one line at a time, and each
 * answer is flushed, so the command also works as a co-process fed by a pipe.
 * With --filter, every search goes through an allow-list filter; with --disk
 * the index is opened disk-resident (VDB_OPEN_DISK), with --cache-mb of its
 * node blocks kept in memory.
 */
#include "cli_args.h"
#include "commands.h"
#include "id_files.h"
#include "queries.h"
#include "vector_files.h"

#include "vdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Queries per vdb_search_batch call: big enough to keep every core busy, small enough to bound memory. */
enum { BATCH = 4096 };

/* clang-format off: help text is laid out as it prints */
static const char HELP[] = "usage: vdb search INDEX [QUERIES] [options]\n"
                           "\n"
                           "Find the k nearest neighbours of each query in INDEX. QUERIES is a vector\n"
                           "file (raw float32 needs --dim; .fvecs and .npy carry their dimension), or\n"
                           "'-' or nothing for text on stdin: one query per line, floats separated by\n"
                           "spaces or commas; blank lines are skipped.\n"
                           "\n"
                           "Prints one line per query, nearest first, only the results found:\n"
                           "  query <q>: <id>:<distance> <id>:<distance> ...\n"
                           "(q counts queries from 0; distances are squared L2, 1 - dot or 1 - cos).\n"
                           "\n"
                           "  --k K          neighbours per query, >= 1 (default 10)\n"
                           "  --ef E         beam width; 0 = the index's ef_search (default 0); raised to k\n"
                           "                 if smaller\n"
                           "  --dim D        floats per query in a raw QUERIES file (must equal the index's)\n"
                           "  --filter FILE  return only ids listed in FILE: a text file of one decimal id\n"
                           "                 per line (blank lines skipped; '-' reads stdin when QUERIES is\n"
                           "                 a file), or a .npy array of int32, uint32, int64 or uint64.\n"
                           "                 Listed ids the index does not hold are ignored, so a query\n"
                           "                 finds fewer than k when fewer than k listed ids are held.\n"
                           "  --recover      apply the intact commits of a damaged INDEX-journal and leave\n"
                           "                 out the rest (the journal is not changed); without it such a\n"
                           "                 journal is an error\n"
                           "  --disk         search INDEX from the disk (VDB_OPEN_DISK): only its codes are\n"
                           "                 held in memory, and each node a search expands is read from\n"
                           "                 the file; the same results as without it. INDEX must have\n"
                           "                 codes (vdb build --codes int8 or pq) and no unsaved journal\n"
                           "  --cache-mb N   with --disk: keep N MiB of node blocks in memory, the graph's\n"
                           "                 top levels first (default 0)\n"
                           "  -h, --help     show this help\n";
/* clang-format on */

static void print_result(uint64_t q, const uint64_t *ids, const float *distances, uint32_t found)
{
    printf("query %llu:", (unsigned long long)q);
    for (uint32_t i = 0; i < found; i++)
        printf(" %llu:%.6g", (unsigned long long)ids[i], (double)distances[i]);
    putchar('\n');
}

static int search_file(const vdb_index *index, const char *path, uint32_t dim, uint32_t k, uint32_t ef,
                       const vdb_filter *filter)
{
    float *queries;
    uint64_t nq;
    uint32_t qdim;
    if (queries_from_file("search", path, dim, 0, UINT64_MAX, &queries, &nq, &qdim) != 0)
        return CLI_EXIT_FAIL;
    if (qdim != vdb_dim(index)) {
        cli_error("search", "dimension mismatch: the index has %u, queries in '%s' have %u", vdb_dim(index), path,
                  qdim);
        free(queries);
        return CLI_EXIT_FAIL;
    }
    uint64_t *ids = malloc((size_t)BATCH * k * sizeof *ids);
    float *distances = malloc((size_t)BATCH * k * sizeof *distances);
    uint32_t *found = malloc((size_t)BATCH * sizeof *found);
    int status = CLI_EXIT_OK;
    if (!ids || !distances || !found) {
        cli_error("search", "out of memory for results of %d queries x k %u", BATCH, k);
        status = CLI_EXIT_FAIL;
    }
    for (uint64_t first = 0; status == CLI_EXIT_OK && first < nq; first += BATCH) {
        uint64_t n = nq - first < BATCH ? nq - first : BATCH;
        int rc = vdb_search_batch_filtered(index, queries + first * qdim, n, k, ef, filter, ids, distances, found);
        if (rc != VDB_OK) {
            cli_lib_error("search", rc, "queries %llu..%llu", (unsigned long long)first,
                          (unsigned long long)(first + n - 1));
            status = CLI_EXIT_FAIL;
            break;
        }
        for (uint64_t q = 0; q < n; q++)
            print_result(first + q, ids + q * k, distances + q * k, found[q]);
    }
    free(found);
    free(distances);
    free(ids);
    free(queries);
    return status;
}

static int search_stdin(const vdb_index *index, uint32_t k, uint32_t ef, const vdb_filter *filter)
{
    uint32_t dim = vdb_dim(index);
    float *query = malloc((size_t)dim * sizeof *query);
    uint64_t *ids = malloc((size_t)k * sizeof *ids);
    float *distances = malloc((size_t)k * sizeof *distances);
    char *line = NULL;
    size_t line_cap = 0;
    int status = CLI_EXIT_OK;
    if (!query || !ids || !distances) {
        cli_error("search", "out of memory");
        status = CLI_EXIT_FAIL;
    }
    uint64_t line_no = 0, q = 0;
    while (status == CLI_EXIT_OK && getline(&line, &line_cap, stdin) >= 0) {
        line_no++;
        uint64_t count = 0;
        const char *bad = NULL;
        int parsed = queries_parse_line(line, query, dim, &count, &bad);
        if (parsed == QUERY_LINE_BLANK)
            continue;
        if (parsed == QUERY_LINE_BAD_TOKEN) {
            size_t len = strcspn(bad, " \t,\r\n");
            cli_error("search", "line %llu: '%.*s' is not a finite number", (unsigned long long)line_no,
                      (int)(len > 40 ? 40 : len), bad);
            status = CLI_EXIT_FAIL;
            break;
        }
        if (count != dim) {
            cli_error("search", "line %llu: expected %u floats (the index's dimension), got %llu",
                      (unsigned long long)line_no, dim, (unsigned long long)count);
            status = CLI_EXIT_FAIL;
            break;
        }
        uint32_t found = 0;
        int rc = vdb_search_filtered(index, query, k, ef, filter, ids, distances, &found);
        if (rc != VDB_OK) {
            cli_lib_error("search", rc, "line %llu", (unsigned long long)line_no);
            status = CLI_EXIT_FAIL;
            break;
        }
        print_result(q++, ids, distances, found);
        fflush(stdout);
    }
    if (status == CLI_EXIT_OK && ferror(stdin)) {
        cli_error("search", "reading stdin failed");
        status = CLI_EXIT_FAIL;
    }
    free(line);
    free(distances);
    free(ids);
    free(query);
    return status;
}

int cmd_search(int argc, char **argv)
{
    uint32_t k = 10, ef = 0, dim = 0;
    const char *filter_path = NULL;
    int recover = 0, disk = 0;
    uint64_t cache_mb = 0;
    enum { O_K, O_EF, O_DIM, O_FILTER, O_RECOVER, O_DISK, O_CACHE_MB, N_OPTS };
    cli_opt opts[N_OPTS] = {
        [O_K] = {"k", CLI_U32, &k, 0},
        [O_EF] = {"ef", CLI_U32, &ef, 0},
        [O_DIM] = {"dim", CLI_U32, &dim, 0},
        [O_FILTER] = {"filter", CLI_STRING, &filter_path, 0},
        [O_RECOVER] = {"recover", CLI_FLAG, &recover, 0},
        [O_DISK] = {"disk", CLI_FLAG, &disk, 0},
        [O_CACHE_MB] = {"cache-mb", CLI_U64, &cache_mb, 0},
    };
    const char *pos[2];
    size_t npos = 0;
    int parsed = cli_parse("search", argc, argv, opts, sizeof opts / sizeof *opts, pos, 2, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(HELP);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos == 0) {
        cli_usage_error("search", "missing INDEX");
        return CLI_EXIT_USAGE;
    }
    if (k == 0) {
        cli_usage_error("search", "--k must be at least 1");
        return CLI_EXIT_USAGE;
    }
    const char *queries_path = npos == 2 && strcmp(pos[1], "-") != 0 ? pos[1] : NULL;
    if (queries_path && dim == 0 && vec_file_needs_dim(queries_path)) {
        cli_usage_error("search", "'%s' is a raw float32 file (no .fvecs/.npy suffix): give its --dim", queries_path);
        return CLI_EXIT_USAGE;
    }
    if (opts[O_CACHE_MB].seen && !disk) {
        cli_usage_error("search", "--cache-mb is the cache of a disk-resident search: give --disk too");
        return CLI_EXIT_USAGE;
    }
    if (cache_mb > UINT64_MAX >> 20) {
        cli_usage_error("search", "--cache-mb %llu is too large", (unsigned long long)cache_mb);
        return CLI_EXIT_USAGE;
    }
    if (filter_path && !queries_path && strcmp(filter_path, "-") == 0) {
        cli_usage_error("search", "--filter - and the queries cannot both come from stdin");
        return CLI_EXIT_USAGE;
    }

    /* The filter first: a mistake in it is found before the index is opened. */
    vdb_filter *filter = NULL;
    if (filter_path) {
        id_list allowed;
        if (id_list_read("search", filter_path, &allowed) != 0)
            return CLI_EXIT_FAIL;
        if (allowed.count == 0) {
            cli_error("search", "--filter '%s' holds no ids, so no result could be returned", filter_path);
            return CLI_EXIT_FAIL;
        }
        int rc = vdb_filter_create(&filter, allowed.ids, allowed.count);
        id_list_free(&allowed);
        if (rc != VDB_OK) {
            cli_lib_error("search", rc, "--filter '%s'", filter_path);
            return CLI_EXIT_FAIL;
        }
    }

    vdb_index *index;
    uint32_t flags = (recover ? VDB_OPEN_RECOVER : 0) | (disk ? VDB_OPEN_DISK : 0);
    int rc = vdb_open(&index, pos[0], flags);
    if (rc != VDB_OK) {
        cli_file_error("search", rc, "cannot open index", pos[0]);
        vdb_filter_close(filter);
        return CLI_EXIT_FAIL;
    }
    if (cache_mb && (rc = vdb_set_disk_cache(index, cache_mb << 20)) != VDB_OK) {
        cli_lib_error("search", rc, "--cache-mb %llu", (unsigned long long)cache_mb);
        vdb_close(index);
        vdb_filter_close(filter);
        return CLI_EXIT_FAIL;
    }
    int status;
    if (!queries_path && dim != 0 && dim != vdb_dim(index)) {
        cli_error("search", "dimension mismatch: --dim %u, but the index has %u", dim, vdb_dim(index));
        status = CLI_EXIT_FAIL;
    } else {
        status =
            queries_path ? search_file(index, queries_path, dim, k, ef, filter) : search_stdin(index, k, ef, filter);
    }
    vdb_close(index);
    vdb_filter_close(filter);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("search", "writing the results failed");
        status = CLI_EXIT_FAIL;
    }
    return status;
}
