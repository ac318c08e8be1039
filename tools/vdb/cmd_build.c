/*
 * `vdb build`: a graph over rows of a vector file, saved as an index file.
 * The index file is self-contained (it holds its vectors), so the vector file
 * is not needed afterwards.
 */
#include "build_index.h"
#include "cli_args.h"
#include "commands.h"

#include <stdio.h>

/* clang-format off: help text is laid out as it prints */
static const char HELP[] = "usage: vdb build VECTORS INDEX [options]\n"
                           "\n"
                           "Build an HNSW graph over rows of VECTORS (raw float32, .fvecs or .npy) and\n"
                           "save it, vectors included, to INDEX. A node's id is its row number in VECTORS.\n"
                           "A progress bar is drawn on stderr when it is a terminal; a one-line summary\n"
                           "is printed at the end.\n"
                           "\n"
                           "  --dim D               floats per row (required for raw files)\n"
                           "  --metric M            l2 (squared Euclidean, default) | ip (1 - dot) | cosine (1 - cos)\n"
                           "  --m M                 links per node on upper layers, 2..256 (default 16)\n"
                           "  --ef-construction E   beam width while building (default 200)\n"
                           "  --ef-search E         beam width a search uses when it passes ef 0 (default 64)\n"
                           "  --threads T           build threads, 0 = all cores (default 0)\n"
                           "  --seed S              level generator seed (default 42)\n"
                           "  --codes C             compressed copies of the rows that searches walk the graph\n"
                           "                        by, before they measure their best candidates with the\n"
                           "                        float32 rows (so distances stay exact): none (default);\n"
                           "                        int8, a byte per dimension (4x smaller), trained once 1024\n"
                           "                        rows are built; pq, --code-bytes bytes a row (product\n"
                           "                        quantization), trained once 4096 rows are built\n"
                           "  --code-bytes B        with --codes pq: bytes a row, 1..dim (default 0 = dim / 8)\n"
                           "  --rerank R            with codes: how many of a search's best candidates by code\n"
                           "                        get their exact distance, raised to k; 0 = all ef of them\n"
                           "                        (default 0)\n"
                           "  --memory-mb N         build within N MiB: when the rows and the graph do not\n"
                           "                        fit, build by partitions that do, reading the rows in\n"
                           "                        order (vdb_set_build_memory); default 0, no bound\n"
                           "  --first F             first row to build (default 0)\n"
                           "  --count N             rows to build (default all rows from F to the end)\n"
                           "  -h, --help            show this help\n";
/* clang-format on */

int cmd_build(int argc, char **argv)
{
    build_request req = {0};
    vdb_config_init(&req.config, VDB_CONFIG_VERSION);
    req.count = BUILD_ALL_ROWS;
    req.progress = 1;
    const char *metric = "l2", *codes = "none";
    cli_opt opts[] = {
        {"dim", CLI_U32, &req.config.dim, 0},
        {"metric", CLI_STRING, &metric, 0},
        {"m", CLI_U32, &req.config.m, 0},
        {"ef-construction", CLI_U32, &req.config.ef_construction, 0},
        {"ef-search", CLI_U32, &req.config.ef_search, 0},
        {"threads", CLI_U32, &req.config.threads, 0},
        {"seed", CLI_U64, &req.config.seed, 0},
        {"first", CLI_U64, &req.first, 0},
        {"count", CLI_U64, &req.count, 0},
        {"codes", CLI_STRING, &codes, 0},
        {"rerank", CLI_U32, &req.config.rerank, 0},
        {"code-bytes", CLI_U32, &req.config.code_bytes, 0},
        {"memory-mb", CLI_U64, &req.memory_mb, 0},
    };
    const char *pos[2];
    size_t npos = 0;
    int parsed = cli_parse("build", argc, argv, opts, sizeof opts / sizeof *opts, pos, 2, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(HELP);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos != 2) {
        cli_usage_error("build", "expected VECTORS and INDEX");
        return CLI_EXIT_USAGE;
    }
    int m = cli_metric_from_name(metric);
    if (m < 0) {
        cli_usage_error("build", "--metric must be l2, ip or cosine, not '%s'", metric);
        return CLI_EXIT_USAGE;
    }
    req.config.metric = m;
    if ((req.config.codes = cli_codes_from_name(codes)) < 0) {
        cli_usage_error("build", "--codes must be none, int8 or pq, not '%s'", codes);
        return CLI_EXIT_USAGE;
    }
    /* Without codes the rerank would do nothing, and a file without codes does not keep it. */
    if (req.config.rerank && req.config.codes == VDB_CODES_NONE) {
        cli_usage_error("build", "--rerank is for an index with codes: give --codes int8 or pq too");
        return CLI_EXIT_USAGE;
    }
    if (req.config.code_bytes && req.config.codes != VDB_CODES_PQ) {
        cli_usage_error("build", "--code-bytes is for --codes pq");
        return CLI_EXIT_USAGE;
    }
    req.vectors_path = pos[0];
    const char *index_path = pos[1];

    build_result built;
    if (build_index("build", &req, &built) != 0)
        return CLI_EXIT_FAIL;
    /* Too few rows to train the codes: say so, since such an index searches by its float32 rows only. */
    char coded[64] = "";
    if (req.config.codes != VDB_CODES_NONE)
        snprintf(coded, sizeof coded, ", %s codes%s", cli_codes_name(req.config.codes),
                 vdb_coded(built.index) ? "" : " not trained (too few rows)");
    int rc = vdb_save(built.index, index_path);
    if (rc != VDB_OK) {
        cli_file_error("build", rc, "cannot save", index_path);
        vdb_close(built.index);
        return CLI_EXIT_FAIL;
    }
    vdb_close(built.index);
    double rate = built.seconds > 0 ? (double)built.count / built.seconds : 0;
    printf("built %llu rows (%llu..%llu) x %u in %.2f s (%.0f rows/s)%s -> %s\n", (unsigned long long)built.count,
           (unsigned long long)built.first, (unsigned long long)(built.first + built.count - 1), built.dim,
           built.seconds, rate, coded, index_path);
    return CLI_EXIT_OK;
}
