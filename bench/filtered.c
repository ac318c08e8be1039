/*
 * Filtered search at every selectivity: for 100%, 50%, 25%, 10%, 5%, 1% and
 * 0.1% of the vectors allowed, and 10 ids, recall@10 against the exact 10 nearest among
 * the allowed vectors and single-thread QPS, for the way libvdb picks and
 * for each way forced (an exact scan of the allowed vectors, the graph
 * restricted to them), so that the switch between them can be checked
 * against measurement. Reaches below the API (index/filter.h) to force a way.
 *
 *   filtered BASE QUERIES [--rows N] [--m M] [--ef-construction E] [--ef EF]
 *            [--index FILE] [--allowed-dir DIR] [--json FILE]
 *
 * --index reuses (or writes) a saved index of rows [0, N). --allowed-dir
 * writes each allowed set as DIR/allowed-NAME.u64 (little-endian u64 ids),
 * for bench/filtered_hnswlib.cpp to run the same sets through hnswlib.
 */
#define _GNU_SOURCE
#include "index/filter.h"
#include "measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 10, PASSES = 3 };

typedef struct {
    const char *base_path, *queries_path, *index_path, *allowed_dir, *json_path;
    uint64_t rows;
    uint32_t m, ef_construction, ef;
} options;

typedef struct {
    const vdb_index *index;
    const vdb_filter *filter;
    vdb_filter_way way;
    uint32_t ef;
} search_context;

/* A filtered search the forced way, its (distance, node) results turned into ids. */
static int search_way(const void *raw, const float *query, uint32_t k, uint64_t *ids)
{
    const search_context *c = raw;
    vdb_candidate results[K];
    uint32_t found = 0;
    int code = vdb_filtered_search(c->index, query, k, c->ef, c->filter, c->way, results, &found);
    for (uint32_t i = 0; i < k; i++)
        ids[i] = i < found ? c->index->ids.of_node[results[i].node] : UINT64_MAX;
    return code;
}

static const char *const way_names[] = {"libvdb (chosen)", "exact scan", "graph"};

static vdb_index *open_or_build(const options *o, const bench_rows *base)
{
    vdb_index *index = NULL;
    if (o->index_path && vdb_open(&index, o->index_path, VDB_OPEN_DEFAULT) == VDB_OK && vdb_count(index) == o->rows)
        return index;
    vdb_close(index);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = base->dim;
    cfg.m = o->m;
    cfg.ef_construction = o->ef_construction;
    bench_check(vdb_create(&index, &cfg), "create");
    double started = bench_seconds();
    bench_check(vdb_add(index, base->rows, base->count, NULL), "add");
    fprintf(stderr, "built %llu rows in %.1f s\n", (unsigned long long)base->count, bench_seconds() - started);
    if (o->index_path)
        bench_check(vdb_save(index, o->index_path), "save");
    return index;
}

/*
 * The allowed ids: each id with probability `share` (seeded), or exactly
 * `limit` ids spread evenly over [0, n) when a limit is given.
 */
static uint64_t *allowed_ids(uint64_t n, double share, uint64_t limit, uint64_t seed, uint64_t *count)
{
    uint64_t *ids = malloc(sizeof *ids * n), state = seed;
    *count = 0;
    if (limit < n) {
        for (uint64_t i = 0; i < limit; i++)
            ids[(*count)++] = (seed + i * (n / limit)) % n;
        return ids;
    }
    for (uint64_t id = 0; id < n; id++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        if ((double)(state >> 11) * 0x1.0p-53 < share)
            ids[(*count)++] = id;
    }
    return ids;
}

static void write_ids(const options *o, const char *name, const uint64_t *ids, uint64_t count)
{
    if (!o->allowed_dir)
        return;
    char *path = NULL;
    if (asprintf(&path, "%s/allowed-%s.u64", o->allowed_dir, name) < 0)
        exit(1);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(ids, sizeof *ids, count, file) != count) {
        perror(path);
        exit(1);
    }
    fclose(file);
    free(path);
}

static options parse(int argc, char **argv)
{
    options o = {.m = 16, .ef_construction = 200, .ef = 64};
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--rows") && has_value)
            o.rows = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--m") && has_value)
            o.m = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--ef-construction") && has_value)
            o.ef_construction = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--ef") && has_value)
            o.ef = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--index") && has_value)
            o.index_path = argv[++i];
        else if (!strcmp(a, "--allowed-dir") && has_value)
            o.allowed_dir = argv[++i];
        else if (!strcmp(a, "--json") && has_value)
            o.json_path = argv[++i];
        else if (a[0] != '-' && positional < 2)
            *(positional++ == 0 ? &o.base_path : &o.queries_path) = a;
        else {
            fprintf(stderr, "usage: filtered BASE QUERIES [--rows N] [--m M] [--ef-construction E] [--ef EF] "
                            "[--index FILE] [--allowed-dir DIR] [--json FILE]\n");
            exit(2);
        }
    }
    if (positional != 2) {
        fprintf(stderr, "filtered: BASE and QUERIES are needed\n");
        exit(2);
    }
    return o;
}

int main(int argc, char **argv)
{
    options o = parse(argc, argv);
    bench_rows base = bench_load(o.base_path, 0, o.rows), queries = bench_load(o.queries_path, 0, 0);
    o.rows = base.count;
    vdb_index *index = open_or_build(&o, &base);
    FILE *json = o.json_path ? fopen(o.json_path, "w") : NULL;
    if (json)
        fprintf(json,
                "{\"base\": \"%s\", \"rows\": %llu, \"dim\": %u, \"m\": %u, \"ef_construction\": %u, \"ef\": %u, "
                "\"k\": %d, \"results\": [\n",
                o.base_path, (unsigned long long)o.rows, base.dim, o.m, o.ef_construction, o.ef, K);
    printf("libvdb %s; %llu x %u, %llu queries, ef %u, k %d; recall@10 against the exact 10 nearest allowed\n\n",
           vdb_version_string(), (unsigned long long)o.rows, base.dim, (unsigned long long)queries.count, o.ef, K);
    printf("| allowed | ids | way | recall@10 | QPS |\n|---|---|---|---|---|\n");

    struct {
        const char *name, *file;
        double share;
        uint64_t limit;
    } sets[] = {{"100%", "100", 1.0, UINT64_MAX},   {"50%", "50", 0.5, UINT64_MAX},
                {"25%", "25", 0.25, UINT64_MAX},    {"10%", "10", 0.1, UINT64_MAX},
                {"5%", "5", 0.05, UINT64_MAX},      {"1%", "1", 0.01, UINT64_MAX},
                {"0.1%", "0.1", 0.001, UINT64_MAX}, {"10 ids", "10ids", 10.0 / (double)o.rows, 10}};
    uint64_t *exact = malloc(sizeof *exact * queries.count * K), *found = malloc(sizeof *found * queries.count * K);
    int first_line = 1;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        uint64_t count;
        uint64_t *ids = allowed_ids(o.rows, sets[s].share, sets[s].limit, 4242 + s, &count);
        write_ids(&o, sets[s].file, ids, count);
        bench_exact(&base, ids, count, NULL, &queries, K, exact);
        vdb_filter *filter = NULL;
        bench_check(vdb_filter_create(&filter, ids, count), "filter");
        for (int way = VDB_FILTER_BY_COST; way <= VDB_FILTER_BY_GRAPH; way++) {
            search_context context = {index, filter, (vdb_filter_way)way, o.ef};
            double qps = bench_qps(search_way, &context, &queries, K, PASSES, found);
            double recall = bench_recall(found, exact, queries.count, K);
            printf("| %s | %llu | %s | %.4f | %.0f |\n", sets[s].name, (unsigned long long)count, way_names[way],
                   recall, qps);
            fflush(stdout);
            if (json)
                fprintf(json,
                        "%s  {\"allowed\": \"%s\", \"ids\": %llu, \"way\": \"%s\", \"recall\": %.5f, \"qps\": %.1f}",
                        first_line ? "" : ",\n", sets[s].name, (unsigned long long)count, way_names[way], recall, qps);
            first_line = 0;
        }
        vdb_filter_close(filter);
        free(ids);
    }
    if (json) {
        fprintf(json, "\n]}\n");
        fclose(json);
    }
    free(found);
    free(exact);
    vdb_close(index);
    free(base.rows);
    free(queries.rows);
    return 0;
}
