/*
 * `vdb bench`: recall@k against exact brute force, throughput and latency,
 * for an index built here from a vector file or opened from an index file.
 *
 * Order of work, and why:
 *  1. build or open, timed;
 *  2. queries and the exact ground truth (over exactly the rows the index holds);
 *  3. one untimed batch pass, so the first ef measured does not pay for
 *     paging a freshly opened index in;
 *  4. per ef: the single-thread loop (gives latencies, single QPS and the
 *     ids scored for recall), then the batch, repeated until it has run
 *     long enough to time; the batch's ids are compared with the loop's,
 *     since a search is deterministic and they must agree.
 */
#include "bench_report.h"
#include "build_index.h"
#include "cli_args.h"
#include "commands.h"
#include "exact.h"
#include "peak_rss.h"
#include "progress.h"
#include "queries.h"
#include "stats.h"
#include "timing.h"
#include "vector_files.h"

#include "vdb.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A batch is repeated until this much time has passed, so its QPS is not one timer tick. */
#define BATCH_MIN_SECONDS 0.25
enum { BATCH_MAX_REPEATS = 100, DEFAULT_NQ = 1000, DEFAULT_QUERY_SEED = 1234 };

/* clang-format off: help text is laid out as it prints */
static const char HELP[] = "usage: vdb bench VECTORS [options]\n"
                           "       vdb bench INDEX [--vectors FILE] [options]\n"
                           "\n"
                           "Measure recall@k against exact brute force, queries per second and\n"
                           "per-query latency, at one or more beam widths (ef).\n"
                           "\n"
                           "Given a vector file, builds the index in memory over rows [F, F+N) and\n"
                           "reports the build time; the ground truth covers the same rows. Given an\n"
                           "index file (it starts with \"VDBINDEX\"), opens it and reports the open time;\n"
                           "recall then needs --vectors, the vector file it was built from (the index\n"
                           "is taken to hold rows [F, F+N) of it, N defaulting to the index's count).\n"
                           "\n"
                           "Build (vector file only):\n"
                           "  --dim D               floats per row (required for raw files)\n"
                           "  --metric M            l2 | ip | cosine (default l2)\n"
                           "  --m M                 links per node (default 16)\n"
                           "  --ef-construction E   build beam width (default 200)\n"
                           "  --seed S              level generator seed (default 42)\n"
                           "  --codes C             none (default) | int8 | pq: searches walk the graph by\n"
                           "                        codes, then measure their best candidates exactly (see\n"
                           "                        vdb build --help); compare at equal recall, not equal ef\n"
                           "  --code-bytes B        with --codes pq: bytes a row (default 0 = dim / 8)\n"
                           "  --rerank R            with codes: best candidates by code measured exactly,\n"
                           "                        raised to k; 0 = all ef of them (default 0)\n"
                           "  --memory-mb N         build within N MiB, by partitions if need be (vdb build\n"
                           "                        --help); default 0, no bound\n"
                           "Rows:\n"
                           "  --first F             first row of the vector file (default 0)\n"
                           "  --count N             rows (default: to the end of the file, or the index's count)\n"
                           "  --vectors FILE        ground-truth rows for an INDEX argument\n"
                           "Opening (index file only):\n"
                           "  --recover             apply the intact commits of a damaged INDEX-journal and\n"
                           "                        leave out the rest (the journal is not changed); without\n"
                           "                        it such a journal is an error\n"
                           "  --disk                search from the disk (VDB_OPEN_DISK; needs an index with\n"
                           "                        codes): vdb search --help\n"
                           "  --cache-mb N          with --disk: N MiB of node blocks kept in memory, top\n"
                           "                        graph levels first (default 0); the open time includes\n"
                           "                        filling it\n"
                           "Queries:\n"
                           "  --queries FILE        query vectors (raw files: the index's dimension)\n"
                           "  --nq N                random queries, uniform [0,1) (default 1000); with\n"
                           "                        --queries, the first N rows of FILE (default all)\n"
                           "  --query-first R       first row of --queries FILE to use (default 0), e.g. rows\n"
                           "                        held out after those indexed, for queries like the data\n"
                           "  --query-seed S        seed of the random queries (default 1234)\n"
                           "Search:\n"
                           "  --k K                 neighbours per query (default 10)\n"
                           "  --ef LIST             beam widths, comma separated, e.g. 16,32,64,128,256\n"
                           "                        (default: the index's ef_search; 0 also means that)\n"
                           "  --threads T           threads for build, batch search and ground truth (0 = all cores)\n"
                           "Output:\n"
                           "  --json                one JSON object on stdout instead of the table\n"
                           "  -h, --help            show this help\n"
                           "\n"
                           "Columns: recall@k = |found & exact top k| / k averaged over queries (k is\n"
                           "capped at the rows indexed); \"QPS 1 thr\" from a loop of vdb_search on one\n"
                           "thread; \"QPS T thr\" from vdb_search_batch on T threads; p50/p99 are the\n"
                           "nearest-rank percentiles of the loop's per-query times. An untimed warm-up\n"
                           "pass runs first. Peak RSS counts touched pages of mapped files too.\n";
/* clang-format on */

typedef struct bench_args {
    uint32_t dim, m, ef_construction, threads, k, rerank, code_bytes;
    uint64_t seed, first, count, nq, query_seed, query_first;
    const char *metric, *codes, *vectors, *queries, *ef_list;
    int json, recover, disk;
    uint64_t cache_mb, memory_mb;
} bench_args;

enum {
    O_DIM,
    O_METRIC,
    O_M,
    O_EFC,
    O_SEED,
    O_FIRST,
    O_COUNT,
    O_VECTORS,
    O_QUERIES,
    O_NQ,
    O_QSEED,
    O_K,
    O_EF,
    O_THREADS,
    O_JSON,
    O_QFIRST,
    O_RECOVER,
    O_CODES,
    O_RERANK,
    O_CODE_BYTES,
    O_DISK,
    O_CACHE_MB,
    O_MEMORY_MB,
    N_OPTS
};

/* 1 when the file starts with the index magic, 0 when not, -1 (message printed) when unreadable. */
static int is_index_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("bench", "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    char magic[8];
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return n == sizeof magic && memcmp(magic, "VDBINDEX", sizeof magic) == 0;
}

/*
 * The index to measure: built from a vector file or opened; fills the load part
 * of the report. Returns an exit code; *out is set only on CLI_EXIT_OK.
 */
static int load_index(const char *path, int as_index, const bench_args *a, const cli_opt *opts, bench_report *rep,
                      vdb_index **out)
{
    rep->source = path;
    rep->built = !as_index;
    if (as_index) {
        static const int build_only[] = {O_METRIC, O_M, O_EFC, O_SEED, O_CODES, O_RERANK, O_CODE_BYTES, O_MEMORY_MB};
        for (size_t i = 0; i < sizeof build_only / sizeof *build_only; i++)
            if (opts[build_only[i]].seen) {
                cli_usage_error("bench", "--%s is for building; '%s' is an index file", opts[build_only[i]].name, path);
                return CLI_EXIT_USAGE;
            }
        if (!a->vectors && (opts[O_FIRST].seen || opts[O_COUNT].seen)) {
            cli_usage_error("bench", "--first and --count choose ground-truth rows; they need --vectors");
            return CLI_EXIT_USAGE;
        }
        if (opts[O_CACHE_MB].seen && !a->disk) {
            cli_usage_error("bench", "--cache-mb is the cache of a disk-resident search: give --disk too");
            return CLI_EXIT_USAGE;
        }
        if (a->cache_mb > UINT64_MAX >> 20) {
            cli_usage_error("bench", "--cache-mb %llu is too large", (unsigned long long)a->cache_mb);
            return CLI_EXIT_USAGE;
        }
        vdb_index *index;
        double start = timing_now();
        int rc = vdb_open(&index, path, (a->recover ? VDB_OPEN_RECOVER : 0) | (a->disk ? VDB_OPEN_DISK : 0));
        if (rc != VDB_OK) {
            cli_file_error("bench", rc, "cannot open index", path);
            return CLI_EXIT_FAIL;
        }
        if (a->cache_mb && (rc = vdb_set_disk_cache(index, a->cache_mb << 20)) != VDB_OK) {
            cli_lib_error("bench", rc, "--cache-mb %llu", (unsigned long long)a->cache_mb);
            vdb_close(index);
            return CLI_EXIT_FAIL;
        }
        rep->load_seconds = timing_now() - start;
        rep->disk = a->disk;
        rep->cache_mb = a->cache_mb;
        if (a->dim && a->dim != vdb_dim(index)) {
            cli_error("bench", "dimension mismatch: --dim %u, but the index has %u", a->dim, vdb_dim(index));
            vdb_close(index);
            return CLI_EXIT_FAIL;
        }
        rep->first = a->first;
        rep->count = opts[O_COUNT].seen ? a->count : vdb_count(index);
        if (a->vectors && rep->count != vdb_count(index))
            cli_error("bench", "warning: the ground truth covers %llu rows, but the index holds %llu",
                      (unsigned long long)rep->count, (unsigned long long)vdb_count(index));
        *out = index;
        return CLI_EXIT_OK;
    }

    if (a->vectors) {
        cli_usage_error("bench", "--vectors is for an index file; '%s' is itself the vector file", path);
        return CLI_EXIT_USAGE;
    }
    if (a->recover) {
        cli_usage_error("bench", "--recover is for an index file's journal; '%s' is a vector file", path);
        return CLI_EXIT_USAGE;
    }
    if (a->disk || opts[O_CACHE_MB].seen) {
        cli_usage_error("bench", "--disk and --cache-mb open an index file; '%s' is a vector file", path);
        return CLI_EXIT_USAGE;
    }
    if (a->dim == 0 && vec_file_needs_dim(path)) {
        cli_usage_error("bench", "'%s' is a raw float32 file (no .fvecs/.npy suffix): give its --dim", path);
        return CLI_EXIT_USAGE;
    }
    int metric = cli_metric_from_name(a->metric);
    if (metric < 0) {
        cli_usage_error("bench", "--metric must be l2, ip or cosine, not '%s'", a->metric);
        return CLI_EXIT_USAGE;
    }
    int codes = cli_codes_from_name(a->codes);
    if (codes < 0) {
        cli_usage_error("bench", "--codes must be none, int8 or pq, not '%s'", a->codes);
        return CLI_EXIT_USAGE;
    }
    if (a->rerank && codes == VDB_CODES_NONE) {
        cli_usage_error("bench", "--rerank is for an index with codes: give --codes int8 or pq too");
        return CLI_EXIT_USAGE;
    }
    if (a->code_bytes && codes != VDB_CODES_PQ) {
        cli_usage_error("bench", "--code-bytes is for --codes pq");
        return CLI_EXIT_USAGE;
    }
    build_request req = {0};
    vdb_config_init(&req.config, VDB_CONFIG_VERSION);
    req.vectors_path = path;
    req.config.dim = a->dim;
    req.config.metric = metric;
    req.config.m = a->m;
    req.config.ef_construction = a->ef_construction;
    req.config.threads = a->threads;
    req.config.seed = a->seed;
    req.config.codes = codes;
    req.config.rerank = a->rerank;
    req.config.code_bytes = a->code_bytes;
    req.first = a->first;
    req.count = opts[O_COUNT].seen ? a->count : BUILD_ALL_ROWS;
    req.progress = 1;
    req.memory_mb = a->memory_mb;
    build_result built;
    if (build_index("bench", &req, &built) != 0)
        return CLI_EXIT_FAIL;
    rep->load_seconds = built.seconds;
    rep->first = built.first;
    rep->count = built.count;
    *out = built.index;
    return CLI_EXIT_OK;
}

/* Exact top-k over rows [first, first+count) of the truth file; NULL (message printed) on failure. */
/*
 * For an index file, which rows of the vector file it holds is the user's word
 * (--first/--count). A wrong range gives plausible but wrong recall, so probe
 * both ends and a few rows between: with a wide beam, searching a held row's
 * own vector finds that row (at distance 0) all but always.
 */
static void check_rows_held(const vdb_index *index, const vdb_vectors *vectors, const bench_report *rep)
{
    enum { PROBES = 8, PROBE_EF = 512 };
    for (unsigned i = 0; i < PROBES; i++) {
        uint64_t row = rep->first + (rep->count - 1) * i / (PROBES - 1);
        uint64_t id;
        uint32_t found = 0;
        const float *v = vdb_vectors_row(vectors, row);
        if (v && vdb_search(index, v, 1, PROBE_EF, &id, NULL, &found) == VDB_OK && found == 1 && id == row)
            continue;
        cli_error("bench",
                  "warning: row %llu is not found as itself; does the index hold rows %llu..%llu of the vector "
                  "file (see --first/--count)?",
                  (unsigned long long)row, (unsigned long long)rep->first,
                  (unsigned long long)(rep->first + rep->count - 1));
        return;
    }
}

static uint64_t *ground_truth(const char *truth_path, const vdb_index *index, const float *queries, uint64_t nq,
                              bench_report *rep, unsigned threads)
{
    vdb_vectors *vectors;
    int rc = vdb_vectors_open(&vectors, truth_path, vdb_dim(index));
    if (rc != VDB_OK) {
        cli_file_error("bench", rc, "cannot read ground-truth vectors", truth_path);
        return NULL;
    }
    uint64_t rows = vdb_vectors_count(vectors);
    if (rep->count == 0 || rep->first >= rows || rep->count > rows - rep->first) {
        cli_error("bench", "rows %llu..%llu are not all in '%s' (%llu rows)", (unsigned long long)rep->first,
                  (unsigned long long)(rep->first + rep->count - 1), truth_path, (unsigned long long)rows);
        vdb_vectors_close(vectors);
        return NULL;
    }
    if (!rep->built)
        check_rows_held(index, vectors, rep);
    uint64_t *ids = malloc((size_t)nq * rep->k * sizeof *ids);
    if (!ids) {
        cli_error("bench", "out of memory for ground truth");
        vdb_vectors_close(vectors);
        return NULL;
    }
    progress bar;
    progress_start(&bar, "exact", "rows", 1, rep->count, 1);
    exact_request req = {vectors, rep->first, rep->count, rep->metric, queries, nq, rep->dim, rep->k, threads, &bar};
    double start = timing_now();
    int failed = exact_knn(&req, ids, NULL);
    rep->exact_seconds = timing_now() - start;
    progress_finish(&bar);
    vdb_vectors_close(vectors);
    if (failed) {
        cli_error("bench", "brute force failed: %s", strerror(errno));
        free(ids);
        return NULL;
    }
    return ids;
}

typedef struct result_buffers {
    uint64_t *ids, *batch_ids;
    float *distances;
    uint32_t *found, *batch_found;
    double *latency;
} result_buffers;

static int measure_ef(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, uint32_t k_exact,
                      uint32_t ef, const uint64_t *truth, const result_buffers *buf, bench_row *row)
{
    uint32_t dim = vdb_dim(index);
    row->ef = ef;
    double loop_start = timing_now();
    for (uint64_t q = 0; q < nq; q++) {
        double t0 = timing_now();
        int rc = vdb_search(index, queries + q * dim, k, ef, buf->ids + q * k, buf->distances + q * k, &buf->found[q]);
        buf->latency[q] = timing_now() - t0;
        if (rc != VDB_OK) {
            cli_lib_error("bench", rc, "vdb_search (query %llu, ef %u)", (unsigned long long)q, ef);
            return -1;
        }
    }
    double loop_seconds = timing_now() - loop_start;
    row->qps_single = (double)nq / loop_seconds;
    row->p50_ms = stats_percentile(buf->latency, nq, 50) * 1e3;
    row->p99_ms = stats_percentile(buf->latency, nq, 99) * 1e3;

    double batch_start = timing_now(), elapsed;
    unsigned runs = 0;
    do {
        int rc = vdb_search_batch(index, queries, nq, k, ef, buf->batch_ids, buf->distances, buf->batch_found);
        if (rc != VDB_OK) {
            cli_lib_error("bench", rc, "vdb_search_batch (ef %u)", ef);
            return -1;
        }
        runs++;
        elapsed = timing_now() - batch_start;
    } while (elapsed < BATCH_MIN_SECONDS && runs < BATCH_MAX_REPEATS);
    row->qps_batch = (double)nq * runs / elapsed;

    row->mismatched = 0;
    for (uint64_t q = 0; q < nq; q++)
        if (buf->found[q] != buf->batch_found[q] ||
            memcmp(buf->ids + q * k, buf->batch_ids + q * k, (size_t)buf->found[q] * sizeof *buf->ids) != 0)
            row->mismatched++;

    row->recall = truth ? stats_recall(buf->ids, buf->found, truth, nq, k, k_exact) : NAN;
    return 0;
}

static int run_bench(vdb_index *index, const bench_args *a, uint32_t *efs, size_t nef, bench_report *rep)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    int rc = vdb_get_config(index, &cfg);
    if (rc != VDB_OK) {
        cli_lib_error("bench", rc, "vdb_get_config");
        return -1;
    }
    rep->dim = vdb_dim(index);
    rep->metric = vdb_metric(index);
    rep->m = cfg.m;
    rep->ef_construction = cfg.ef_construction;
    rep->ef_search = cfg.ef_search;
    rep->codes = cfg.codes;
    rep->rerank = cfg.rerank;
    rep->code_bytes = cfg.code_bytes;
    rep->coded = vdb_coded(index);
    rep->threads = a->threads ? a->threads : exact_online_cores();
    rep->k = a->k;
    rc = vdb_set_threads(index, a->threads);
    if (rc != VDB_OK) {
        cli_lib_error("bench", rc, "--threads %u", a->threads);
        return -1;
    }

    float *queries = NULL;
    uint64_t nq = 0;
    int status = -1;
    uint64_t *truth = NULL;
    bench_row *rows = calloc(nef, sizeof *rows);
    result_buffers buf = {0};
    if (!rows) {
        cli_error("bench", "out of memory");
        goto done;
    }
    if (a->queries) {
        uint32_t qdim;
        if (queries_from_file("bench", a->queries, rep->dim, a->query_first, a->nq ? a->nq : UINT64_MAX, &queries, &nq,
                              &qdim) != 0)
            goto done;
        rep->query_source = a->queries;
        rep->query_first = a->query_first;
    } else {
        nq = a->nq ? a->nq : DEFAULT_NQ;
        queries = queries_random(nq, rep->dim, a->query_seed);
        if (!queries) {
            cli_error("bench", "out of memory for %llu queries", (unsigned long long)nq);
            goto done;
        }
        rep->query_seed = a->query_seed;
    }
    rep->nq = nq;

    rep->truth_path = rep->built ? rep->source : a->vectors;
    if (rep->truth_path && !(truth = ground_truth(rep->truth_path, index, queries, nq, rep, rep->threads)))
        goto done;

    size_t slots = (size_t)nq * a->k;
    buf.ids = malloc(slots * sizeof *buf.ids);
    buf.batch_ids = malloc(slots * sizeof *buf.batch_ids);
    buf.distances = malloc(slots * sizeof *buf.distances);
    buf.found = malloc((size_t)nq * sizeof *buf.found);
    buf.batch_found = malloc((size_t)nq * sizeof *buf.batch_found);
    buf.latency = malloc((size_t)nq * sizeof *buf.latency);
    if (!buf.ids || !buf.batch_ids || !buf.distances || !buf.found || !buf.batch_found || !buf.latency) {
        cli_error("bench", "out of memory for %llu x %u results", (unsigned long long)nq, a->k);
        goto done;
    }
    /* Exact results hold min(k, rows) ids: with fewer rows than k, a perfect index finds them all. */
    uint32_t k_exact = rep->count < a->k ? (uint32_t)rep->count : a->k;
    for (size_t i = 0; i < nef; i++) {
        /* Report the beam width that really ran: 0 means ef_search, and the library raises it to k. */
        uint32_t ef = efs[i] ? efs[i] : cfg.ef_search;
        efs[i] = ef < a->k ? a->k : ef;
    }
    rc = vdb_search_batch(index, queries, nq, a->k, efs[0], buf.batch_ids, buf.distances, buf.batch_found);
    if (rc != VDB_OK) {
        cli_lib_error("bench", rc, "warm-up search");
        goto done;
    }
    for (size_t i = 0; i < nef; i++)
        if (measure_ef(index, queries, nq, a->k, k_exact, efs[i], truth, &buf, &rows[i]) != 0)
            goto done;
    rep->rows = rows;
    rep->nrows = nef;
    rep->peak_rss = peak_rss_bytes();
    if (a->json)
        bench_print_json(rep);
    else
        bench_print_table(rep);
    status = 0;
done:
    free(buf.latency);
    free(buf.batch_found);
    free(buf.found);
    free(buf.distances);
    free(buf.batch_ids);
    free(buf.ids);
    free(truth);
    free(rows);
    free(queries);
    return status;
}

int cmd_bench(int argc, char **argv)
{
    bench_args a = {0};
    a.m = 16;
    a.ef_construction = 200;
    a.k = 10;
    a.seed = 42;
    a.query_seed = DEFAULT_QUERY_SEED;
    a.metric = "l2";
    a.codes = "none";
    cli_opt opts[N_OPTS] = {
        [O_DIM] = {"dim", CLI_U32, &a.dim, 0},
        [O_METRIC] = {"metric", CLI_STRING, &a.metric, 0},
        [O_M] = {"m", CLI_U32, &a.m, 0},
        [O_EFC] = {"ef-construction", CLI_U32, &a.ef_construction, 0},
        [O_SEED] = {"seed", CLI_U64, &a.seed, 0},
        [O_FIRST] = {"first", CLI_U64, &a.first, 0},
        [O_COUNT] = {"count", CLI_U64, &a.count, 0},
        [O_VECTORS] = {"vectors", CLI_STRING, &a.vectors, 0},
        [O_QUERIES] = {"queries", CLI_STRING, &a.queries, 0},
        [O_NQ] = {"nq", CLI_U64, &a.nq, 0},
        [O_QSEED] = {"query-seed", CLI_U64, &a.query_seed, 0},
        [O_K] = {"k", CLI_U32, &a.k, 0},
        [O_EF] = {"ef", CLI_STRING, &a.ef_list, 0},
        [O_THREADS] = {"threads", CLI_U32, &a.threads, 0},
        [O_JSON] = {"json", CLI_FLAG, &a.json, 0},
        [O_QFIRST] = {"query-first", CLI_U64, &a.query_first, 0},
        [O_RECOVER] = {"recover", CLI_FLAG, &a.recover, 0},
        [O_CODES] = {"codes", CLI_STRING, &a.codes, 0},
        [O_RERANK] = {"rerank", CLI_U32, &a.rerank, 0},
        [O_CODE_BYTES] = {"code-bytes", CLI_U32, &a.code_bytes, 0},
        [O_DISK] = {"disk", CLI_FLAG, &a.disk, 0},
        [O_CACHE_MB] = {"cache-mb", CLI_U64, &a.cache_mb, 0},
        [O_MEMORY_MB] = {"memory-mb", CLI_U64, &a.memory_mb, 0},
    };
    const char *pos[1];
    size_t npos = 0;
    int parsed = cli_parse("bench", argc, argv, opts, N_OPTS, pos, 1, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(HELP);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos != 1) {
        cli_usage_error("bench", "missing VECTORS or INDEX");
        return CLI_EXIT_USAGE;
    }
    if (a.k == 0) {
        cli_usage_error("bench", "--k must be at least 1");
        return CLI_EXIT_USAGE;
    }
    if (opts[O_NQ].seen && a.nq == 0) {
        cli_usage_error("bench", "--nq must be at least 1");
        return CLI_EXIT_USAGE;
    }
    if (opts[O_COUNT].seen && a.count == 0) {
        cli_usage_error("bench", "--count must be at least 1");
        return CLI_EXIT_USAGE;
    }
    if (!a.queries && opts[O_QFIRST].seen) {
        cli_usage_error("bench", "--query-first chooses rows of --queries FILE");
        return CLI_EXIT_USAGE;
    }
    if (a.queries && opts[O_QSEED].seen) {
        cli_usage_error("bench", "--query-seed is for random queries, not --queries");
        return CLI_EXIT_USAGE;
    }

    /* Checked before a build that may take minutes. */
    uint32_t default_ef = 0;
    uint32_t *efs = &default_ef;
    size_t nef = 1;
    if (a.ef_list && cli_parse_u32_list(a.ef_list, &efs, &nef) != 0) {
        cli_usage_error("bench", "--ef: '%s' is not a comma-separated list of integers", a.ef_list);
        return CLI_EXIT_USAGE;
    }

    int status = is_index_file(pos[0]);
    if (status >= 0) {
        bench_report rep = {0};
        vdb_index *index = NULL;
        status = load_index(pos[0], status, &a, opts, &rep, &index);
        if (status == CLI_EXIT_OK) {
            status = run_bench(index, &a, efs, nef, &rep) != 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
            vdb_close(index);
        }
    } else {
        status = CLI_EXIT_FAIL;
    }
    if (efs != &default_ef)
        free(efs);
    return status;
}
