/*
 * A living index against fresh builds: delete 10, 30 and 50% of the vectors,
 * upsert 20% with new values, reopen writable and add 20% more. Each state
 * is measured before and after saving (and reopening), beside an index built
 * fresh on exactly the live vectors: recall@10 against the exact k-NN of the
 * live vectors at two beam widths, single-thread QPS, and file size.
 *
 *   living BASE QUERIES [--rows N] [--m M] [--ef-construction E] [--work DIR] [--json FILE]
 *
 * Rows [0, N) of BASE are the index (ids = row numbers); rows [N, N + N/5)
 * are the new values for upserts and the rows added after reopening, so
 * BASE needs at least 1.2 N rows. Prints a markdown table.
 */
#define _GNU_SOURCE
#include "measure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { K = 10, PASSES = 3 };
static const uint32_t EFS[] = {64, 128};
enum { NEF = sizeof EFS / sizeof EFS[0] };

typedef struct {
    const char *base_path, *queries_path, *work, *json_path;
    uint64_t rows;
    uint32_t m, ef_construction;
} options;

typedef struct {
    const vdb_index *index;
    uint32_t ef;
} search_context;

static int search_index(const void *raw, const float *query, uint32_t k, uint64_t *ids)
{
    const search_context *context = raw;
    return vdb_search(context->index, query, k, context->ef, ids, NULL, NULL);
}

/* One line of the table. */
typedef struct {
    char scenario[48], state[32];
    double recall[NEF], qps[NEF], seconds;
    long file_bytes;
} result;

static result results[64];
static int result_count;

static FILE *json;

static void record(const char *scenario, const char *state, const vdb_index *index, const bench_rows *queries,
                   const uint64_t *exact, double seconds, const char *path)
{
    result *r = &results[result_count++];
    snprintf(r->scenario, sizeof r->scenario, "%s", scenario);
    snprintf(r->state, sizeof r->state, "%s", state);
    uint64_t *found = malloc(sizeof *found * queries->count * K);
    for (int e = 0; e < NEF; e++) {
        search_context context = {index, EFS[e]};
        r->qps[e] = bench_qps(search_index, &context, queries, K, PASSES, found);
        r->recall[e] = bench_recall(found, exact, queries->count, K);
    }
    free(found);
    r->seconds = seconds;
    struct stat st;
    r->file_bytes = path && stat(path, &st) == 0 ? (long)st.st_size : -1;
    char size[32] = "-";
    if (r->file_bytes >= 0)
        snprintf(size, sizeof size, "%.1f", r->file_bytes / 1048576.0);
    printf("| %s | %s | %.4f | %.4f | %.0f | %.0f | %s |\n", r->scenario, r->state, r->recall[0], r->recall[1],
           r->qps[0], r->qps[1], size);
    fflush(stdout);
    if (json)
        fprintf(json,
                "%s{\"scenario\": \"%s\", \"state\": \"%s\", \"recall_ef64\": %.5f, \"recall_ef128\": %.5f, "
                "\"qps_ef64\": %.1f, \"qps_ef128\": %.1f, \"seconds\": %.2f, \"file_bytes\": %ld}",
                result_count > 1 ? ",\n  " : "  ", r->scenario, r->state, r->recall[0], r->recall[1], r->qps[0],
                r->qps[1], r->seconds, r->file_bytes);
}

static vdb_config config_of(const options *o, uint32_t dim)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    cfg.m = o->m;
    cfg.ef_construction = o->ef_construction;
    return cfg;
}

/* A fresh index on rows[subset[i]] with ids[subset[i]], saved to path; returns it open. */
static vdb_index *fresh_build(const options *o, const bench_rows *rows, const uint64_t *subset, uint64_t n,
                              const uint64_t *ids, const char *path, double *seconds)
{
    float *packed = malloc(sizeof(float) * rows->dim * n);
    uint64_t *packed_ids = malloc(sizeof(uint64_t) * n);
    for (uint64_t i = 0; i < n; i++) {
        memcpy(packed + i * rows->dim, rows->rows + subset[i] * rows->dim, sizeof(float) * rows->dim);
        packed_ids[i] = ids[subset[i]];
    }
    vdb_config cfg = config_of(o, rows->dim);
    vdb_index *index = NULL;
    double started = bench_seconds();
    bench_check(vdb_create(&index, &cfg), "create");
    bench_check(vdb_add(index, packed, n, packed_ids), "add");
    *seconds = bench_seconds() - started;
    bench_check(vdb_save(index, path), "save");
    free(packed);
    free(packed_ids);
    return index;
}

/* Every position whose mark is 0. */
static uint64_t *unmarked(const unsigned char *marks, uint64_t n, uint64_t *count)
{
    uint64_t *out = malloc(sizeof *out * n);
    *count = 0;
    for (uint64_t i = 0; i < n; i++)
        if (!marks[i])
            out[(*count)++] = i;
    return out;
}

/* Mark `count` of n positions at random. */
static unsigned char *random_marks(uint64_t n, uint64_t count, uint64_t seed)
{
    unsigned char *marks = calloc(n, 1);
    uint64_t state = seed;
    for (uint64_t marked = 0; marked < count;) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t i = (state >> 17) % n;
        if (!marks[i]) {
            marks[i] = 1;
            marked++;
        }
    }
    return marks;
}

static char *work_path(const options *o, const char *name)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s", o->work, name) < 0)
        exit(1);
    return path;
}

/* Save the changed index to path, close it, reopen the file read-only and measure it (seconds: the save's). */
static void save_and_measure(const char *scenario, vdb_index *changed, const char *path, const bench_rows *queries,
                             const uint64_t *exact)
{
    double started = bench_seconds();
    bench_check(vdb_save(changed, path), "save");
    double seconds = bench_seconds() - started;
    vdb_close(changed);
    vdb_index *index = NULL;
    bench_check(vdb_open(&index, path, VDB_OPEN_DEFAULT), "open");
    record(scenario, "saved, reopened", index, queries, exact, seconds, path);
    vdb_close(index);
}

/* A change to a writable open of the base index: delete ids, upsert vectors, or add rows. */
typedef struct {
    const char *scenario, *changed_state;
    enum { DELETE, UPSERT, ADD } kind;
    const float *vectors;
    const uint64_t *ids;
    uint64_t count;
} change;

static void apply(vdb_index *index, const change *c)
{
    if (c->kind == DELETE)
        bench_check(vdb_delete(index, c->ids, c->count), "delete");
    else if (c->kind == UPSERT)
        bench_check(vdb_upsert(index, c->vectors, c->count, c->ids), "upsert");
    else
        bench_check(vdb_add(index, c->vectors, c->count, c->ids), "add");
}

/*
 * Make the change to a writable open of the base index and measure it in
 * memory, then saved and reopened; then build an index fresh on the rows
 * that are live afterwards (`live` positions of `rows`) and measure that.
 */
static void compare_with_fresh(const options *o, const char *base_index, const change *c, const bench_rows *rows,
                               const uint64_t *live, uint64_t live_count, const uint64_t *ids,
                               const bench_rows *queries)
{
    uint64_t *exact = malloc(sizeof *exact * queries->count * K);
    bench_exact(rows, live, live_count, ids, queries, K, exact);

    vdb_index *index = NULL;
    bench_check(vdb_open(&index, base_index, VDB_OPEN_WRITABLE), "open writable");
    double started = bench_seconds();
    apply(index, c);
    record(c->scenario, c->changed_state, index, queries, exact, bench_seconds() - started, NULL);
    char *saved = work_path(o, "changed.vdb");
    save_and_measure(c->scenario, index, saved, queries, exact);

    char *fresh_path = work_path(o, "fresh.vdb");
    double build_seconds;
    index = fresh_build(o, rows, live, live_count, ids, fresh_path, &build_seconds);
    record(c->scenario, "fresh build", index, queries, exact, build_seconds, fresh_path);
    vdb_close(index);
    free(fresh_path);
    free(saved);
    free(exact);
}

static void deletes(const options *o, const bench_rows *all, const uint64_t *ids, const bench_rows *queries,
                    const char *base_index, int percent)
{
    char scenario[48];
    snprintf(scenario, sizeof scenario, "delete %d%%", percent);
    uint64_t n = o->rows, doomed_count = n * (uint64_t)percent / 100, live_count;
    unsigned char *doomed = random_marks(n, doomed_count, 1000 + (uint64_t)percent);
    uint64_t *live = unmarked(doomed, n, &live_count), *doomed_ids = malloc(sizeof *doomed_ids * doomed_count);
    for (uint64_t i = 0, d = 0; i < n; i++)
        if (doomed[i])
            doomed_ids[d++] = ids[i];
    change c = {scenario, "deleted, in memory", DELETE, NULL, doomed_ids, doomed_count};
    compare_with_fresh(o, base_index, &c, all, live, live_count, ids, queries);
    free(doomed_ids);
    free(live);
    free(doomed);
}

static void upserts(const options *o, const bench_rows *all, const uint64_t *ids, const bench_rows *queries,
                    const char *base_index)
{
    uint64_t n = o->rows, count = n / 5, everything_count;
    unsigned char *chosen = random_marks(n, count, 77), *none = calloc(n, 1);
    /* The final vectors: the chosen ids take rows n, n + 1, ... of the file. */
    bench_rows final = {malloc(sizeof(float) * all->dim * n), n, all->dim};
    memcpy(final.rows, all->rows, sizeof(float) * all->dim * n);
    float *values = malloc(sizeof(float) * all->dim * count);
    uint64_t *changed = malloc(sizeof *changed * count), *everything = unmarked(none, n, &everything_count);
    for (uint64_t i = 0, c = 0; i < n; i++)
        if (chosen[i]) {
            const float *value = all->rows + (n + c) * all->dim;
            memcpy(final.rows + i * all->dim, value, sizeof(float) * all->dim);
            memcpy(values + c * all->dim, value, sizeof(float) * all->dim);
            changed[c++] = ids[i];
        }
    change c = {"upsert 20%", "upserted, in memory", UPSERT, values, changed, count};
    compare_with_fresh(o, base_index, &c, &final, everything, everything_count, ids, queries);
    free(everything);
    free(changed);
    free(values);
    free(final.rows);
    free(none);
    free(chosen);
}

static void reopen_and_add(const options *o, const bench_rows *all, const uint64_t *ids, const bench_rows *queries,
                           const char *base_index)
{
    uint64_t n = o->rows, more = n / 5, everything_count;
    unsigned char *none = calloc(n + more, 1);
    uint64_t *everything = unmarked(none, n + more, &everything_count);
    change c = {"reopen, add 20%", "added, in memory", ADD, all->rows + n * all->dim, ids + n, more};
    compare_with_fresh(o, base_index, &c, all, everything, everything_count, ids, queries);
    free(everything);
    free(none);
}

static options parse(int argc, char **argv)
{
    options o = {.rows = 0, .m = 16, .ef_construction = 200, .work = "/tmp"};
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--rows") && value)
            o.rows = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--m") && value)
            o.m = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--ef-construction") && value)
            o.ef_construction = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(a, "--work") && value)
            o.work = argv[++i];
        else if (!strcmp(a, "--json") && value)
            o.json_path = argv[++i];
        else if (a[0] != '-' && positional == 0 && ++positional)
            o.base_path = a;
        else if (a[0] != '-' && positional == 1 && ++positional)
            o.queries_path = a;
        else {
            fprintf(stderr, "usage: living BASE QUERIES [--rows N] [--m M] [--ef-construction E] [--work DIR] "
                            "[--json FILE]\n");
            exit(2);
        }
    }
    if (positional != 2) {
        fprintf(stderr, "living: BASE and QUERIES are needed (--help for usage)\n");
        exit(2);
    }
    return o;
}

int main(int argc, char **argv)
{
    options o = parse(argc, argv);
    bench_rows queries = bench_load(o.queries_path, 0, 0);
    vdb_vectors *probe = NULL;
    bench_check(vdb_vectors_open(&probe, o.base_path, 0), o.base_path);
    uint64_t available = vdb_vectors_count(probe);
    vdb_vectors_close(probe);
    if (o.rows == 0)
        o.rows = available * 5 / 6;
    if (o.rows + o.rows / 5 > available) {
        fprintf(stderr, "living: %s has %llu rows; --rows %llu needs %llu\n", o.base_path,
                (unsigned long long)available, (unsigned long long)o.rows, (unsigned long long)(o.rows + o.rows / 5));
        return 2;
    }
    bench_rows all = bench_load(o.base_path, 0, o.rows + o.rows / 5);
    uint64_t *ids = malloc(sizeof *ids * all.count);
    for (uint64_t i = 0; i < all.count; i++)
        ids[i] = i;
    if (o.json_path && !(json = fopen(o.json_path, "w"))) {
        perror(o.json_path);
        return 1;
    }
    if (json)
        fprintf(json,
                "{\"base\": \"%s\", \"queries\": \"%s\", \"rows\": %llu, \"dim\": %u, \"m\": %u, "
                "\"ef_construction\": %u, \"k\": %d, \"results\": [\n",
                o.base_path, o.queries_path, (unsigned long long)o.rows, all.dim, o.m, o.ef_construction, K);

    printf("libvdb %s; %llu x %u from %s, %llu queries; m %u, ef_construction %u\n\n", vdb_version_string(),
           (unsigned long long)o.rows, all.dim, o.base_path, (unsigned long long)queries.count, o.m, o.ef_construction);
    printf("| scenario | state | recall@10 ef 64 | recall@10 ef 128 | QPS ef 64 | QPS ef 128 | file MiB |\n");
    printf("|---|---|---|---|---|---|---|\n");

    uint64_t base_count;
    unsigned char *none = calloc(o.rows, 1);
    uint64_t *base = unmarked(none, o.rows, &base_count);
    char *base_index = work_path(&o, "base.vdb");
    double build_seconds;
    uint64_t *exact = malloc(sizeof *exact * queries.count * K);
    bench_exact(&all, base, base_count, ids, &queries, K, exact);
    vdb_index *index = fresh_build(&o, &all, base, base_count, ids, base_index, &build_seconds);
    record("all rows", "fresh build", index, &queries, exact, build_seconds, base_index);
    vdb_close(index);

    deletes(&o, &all, ids, &queries, base_index, 10);
    deletes(&o, &all, ids, &queries, base_index, 30);
    deletes(&o, &all, ids, &queries, base_index, 50);
    upserts(&o, &all, ids, &queries, base_index);
    reopen_and_add(&o, &all, ids, &queries, base_index);

    if (json) {
        fprintf(json, "\n]}\n");
        fclose(json);
    }
    free(exact);
    free(base_index);
    free(base);
    free(none);
    free(ids);
    free(all.rows);
    free(queries.rows);
    return 0;
}
