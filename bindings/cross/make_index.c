/*
 * The C side of the cross-language test: builds an index from seeded data,
 * saves it, writes the queries as raw float32 and the ids the other
 * languages delete and allow, and writes the answers C gets as text, one
 * line per query:
 *   <query> <found> <id> <distance> <id> <distance> ...
 * Distances are printed with 9 significant digits (exact for a float).
 *
 *   make_index <metric l2|ip|cosine, or l2-int8|ip-int8|cosine-int8> <n> <dim> <nq> <k> <ef> <out dir>
 * ("-int8": the index has int8 codes and a rerank of k, so every language
 * searches by the codes the saved file holds) writes, in <out dir>:
 *   index_<metric>.vdbi          the index
 *   index_<metric>_deleted.vdbi  the index opened writable, the deleted ids
 *                                deleted, saved again
 *   queries.f32, delete.txt, allow.txt (one decimal id per line)
 * and C's answers for each way the languages query:
 *   c_plain_<metric>.txt          index_<metric>.vdbi opened read-only
 *   c_memory_<metric>.txt         the index in memory before saving (must equal plain)
 *   c_filter_<metric>.txt         index_<metric>_deleted.vdbi, filtered by allow.txt
 *   c_delete_<metric>.txt         index_<metric>.vdbi opened writable, delete.txt deleted
 *   c_delete_filter_<metric>.txt  the same, filtered by allow.txt
 *   c_commit_<metric>.txt         a copy of the index (c_commit_<metric>.vdbi) opened
 *                                 writable, delete.txt deleted, committed, closed and
 *                                 opened read-only (must equal delete)
 * It exits 1 if any answer holds a deleted or disallowed id.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdb.h"

#define ID_BASE (1ULL << 60)
#define ID_STEP 1000000007ULL

static uint64_t rng_state;

/* splitmix64: the same stream on every machine. */
static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1), from the top 24 bits. */
static float next_float(void) { return (float)(next_u64() >> 40) / 8388608.0f - 1.0f; }

/* Ids that are not row numbers, so a binding that confuses the two shows it; past 2^53 too. */
static uint64_t id_of_row(uint32_t row) { return ID_BASE + ID_STEP * row; }

/* The rows whose ids are deleted, and those whose ids the filter allows:
 * two thirds of the index, so the filtered search walks the graph rather
 * than scanning the allowed vectors. The allow-list names deleted ids too,
 * which a search must still never return. */
static int deleted_row(uint64_t row) { return row % 7 == 0; }
static int allowed_row(uint64_t row) { return row % 3 != 0; }

/* Whether the first n characters of s are name. */
static int name_is(const char *s, size_t n, const char *name) { return strlen(name) == n && strncmp(s, name, n) == 0; }

static int fail(const char *what, int rc)
{
    fprintf(stderr, "make_index: %s: %s (%d): %s\n", what, vdb_strerror(rc), rc, vdb_last_error());
    return 1;
}

/* The answers of index to every query, searched with filter (NULL: none).
 * Fails on an id that is deleted (when deletions is set) or that the filter
 * does not allow. */
static int write_results(const vdb_index *index, const float *queries, uint32_t nq, uint32_t dim, uint32_t k,
                         uint32_t ef, const vdb_filter *filter, int deletions, const char *path)
{
    FILE *out = fopen(path, "w");
    uint64_t *ids = malloc(sizeof *ids * k);
    float *distances = malloc(sizeof *distances * k);
    if (!out || !ids || !distances) {
        perror(path);
        return 1;
    }
    for (uint32_t q = 0; q < nq; q++) {
        uint32_t found = 0;
        int rc = vdb_search_filtered(index, queries + (size_t)q * dim, k, ef, filter, ids, distances, &found);
        if (rc != VDB_OK)
            return fail("vdb_search_filtered", rc);
        fprintf(out, "%u %u", q, found);
        for (uint32_t i = 0; i < found; i++) {
            uint64_t row = (ids[i] - ID_BASE) / ID_STEP;
            if (ids[i] < ID_BASE || (ids[i] - ID_BASE) % ID_STEP != 0 || (deletions && deleted_row(row)) ||
                (filter && !allowed_row(row))) {
                fprintf(stderr, "make_index: %s: query %u returned id %llu (row %llu), which it must not\n", path, q,
                        (unsigned long long)ids[i], (unsigned long long)row);
                return 1;
            }
            fprintf(out, " %llu %.9g", (unsigned long long)ids[i], distances[i]);
        }
        fprintf(out, "\n");
    }
    free(ids);
    free(distances);
    return fclose(out) != 0;
}

/* The ids of the rows `pick` chooses, into ids (n slots) and one per line into path. */
static int write_ids(int (*pick)(uint64_t row), uint32_t n, uint64_t *ids, uint64_t *count, const char *path)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        return 1;
    }
    *count = 0;
    for (uint32_t row = 0; row < n; row++) {
        if (pick(row)) {
            ids[(*count)++] = id_of_row(row);
            fprintf(out, "%llu\n", (unsigned long long)id_of_row(row));
        }
    }
    return fclose(out) != 0;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: make_index <l2|ip|cosine>[-int8] <n> <dim> <nq> <k> <ef> <out dir>\n");
        return 2;
    }
    const char *metric = argv[1];
    uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10), dim = (uint32_t)strtoul(argv[3], NULL, 10);
    uint32_t nq = (uint32_t)strtoul(argv[4], NULL, 10), k = (uint32_t)strtoul(argv[5], NULL, 10);
    uint32_t ef = (uint32_t)strtoul(argv[6], NULL, 10);
    const char *dir = argv[7];
    char path[4096], saved[4096];

    if (vdb_version_number() != VDB_VERSION_NUMBER) {
        fprintf(stderr, "make_index: built against %d, running %u\n", VDB_VERSION_NUMBER, vdb_version_number());
        return 1;
    }

    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    size_t name_length = strcspn(metric, "-"); /* "l2" of "l2-int8" */
    cfg.metric = name_is(metric, name_length, "ip")       ? VDB_METRIC_IP
                 : name_is(metric, name_length, "cosine") ? VDB_METRIC_COSINE
                                                          : VDB_METRIC_L2;
    cfg.codes = strcmp(metric + name_length, "-int8") == 0 ? VDB_CODES_INT8 : VDB_CODES_NONE;
    /* Only the k best by code get exact distances: the codes then decide some answers, so a language that
     * searched without them would differ from C. */
    if (cfg.codes != VDB_CODES_NONE)
        cfg.rerank = k;
    cfg.threads = 1;
    cfg.seed = 2024;

    rng_state = 1234567;
    float *data = malloc(sizeof *data * (size_t)n * dim);
    float *queries = malloc(sizeof *queries * (size_t)nq * dim);
    uint64_t *ids = malloc(sizeof *ids * n), *doomed = malloc(sizeof *doomed * n),
             *allowed = malloc(sizeof *allowed * n);
    if (!data || !queries || !ids || !doomed || !allowed) {
        fprintf(stderr, "make_index: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)n * dim; i++)
        data[i] = next_float();
    for (size_t i = 0; i < (size_t)nq * dim; i++)
        queries[i] = next_float();

    vdb_index *index = NULL;
    int rc = vdb_create(&index, &cfg);
    if (rc != VDB_OK)
        return fail("vdb_create", rc);
    for (uint32_t i = 0; i < n; i++)
        ids[i] = id_of_row(i);
    rc = vdb_add(index, data, n, ids);
    if (rc != VDB_OK)
        return fail("vdb_add", rc);
    /* Untrained codes would leave every language searching the float32 rows: no test of codes at all. */
    if (cfg.codes != VDB_CODES_NONE && vdb_coded(index) != n) {
        fprintf(stderr, "make_index: %s: %llu of %u vectors have codes; the codes must be trained\n", metric,
                (unsigned long long)vdb_coded(index), n);
        return 1;
    }

    snprintf(saved, sizeof saved, "%s/index_%s.vdbi", dir, metric);
    rc = vdb_save(index, saved);
    if (rc != VDB_OK)
        return fail("vdb_save", rc);

    snprintf(path, sizeof path, "%s/queries.f32", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(queries, sizeof *queries, (size_t)nq * dim, f) != (size_t)nq * dim || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    uint64_t doomed_count, allowed_count;
    snprintf(path, sizeof path, "%s/delete.txt", dir);
    if (write_ids(deleted_row, n, doomed, &doomed_count, path))
        return 1;
    snprintf(path, sizeof path, "%s/allow.txt", dir);
    if (write_ids(allowed_row, n, allowed, &allowed_count, path))
        return 1;
    vdb_filter *filter = NULL;
    rc = vdb_filter_create(&filter, allowed, allowed_count);
    if (rc != VDB_OK)
        return fail("vdb_filter_create", rc);

    /* The answers of the saved file, which every language queries, and of
     * the index in memory, which must be the same. */
    vdb_index *opened = NULL;
    rc = vdb_open(&opened, saved, VDB_OPEN_VERIFY);
    if (rc != VDB_OK)
        return fail("vdb_open", rc);
    snprintf(path, sizeof path, "%s/c_plain_%s.txt", dir, metric);
    if (write_results(opened, queries, nq, dim, k, ef, NULL, 0, path))
        return 1;
    snprintf(path, sizeof path, "%s/c_memory_%s.txt", dir, metric);
    if (write_results(index, queries, nq, dim, k, ef, NULL, 0, path))
        return 1;
    vdb_close(opened);

    /* A copy of the index opened writable, the doomed ids deleted and
     * committed to its journal, closed, and opened read-only: the journal's
     * commit is applied, so it answers as the deletions in memory do. */
    snprintf(path, sizeof path, "%s/c_commit_%s.vdbi", dir, metric);
    rc = vdb_save(index, path);
    if (rc != VDB_OK)
        return fail("vdb_save copy", rc);
    vdb_index *committed = NULL;
    rc = vdb_open(&committed, path, VDB_OPEN_WRITABLE);
    if (rc == VDB_OK)
        rc = vdb_delete(committed, doomed, doomed_count);
    if (rc == VDB_OK)
        rc = vdb_commit(committed);
    if (rc != VDB_OK)
        return fail("vdb_open writable, vdb_delete, vdb_commit", rc);
    vdb_close(committed);
    rc = vdb_open(&committed, path, VDB_OPEN_DEFAULT);
    if (rc != VDB_OK)
        return fail("vdb_open committed", rc);
    if (vdb_count(committed) != n - doomed_count) {
        fprintf(stderr, "make_index: the committed copy holds %llu vectors, not %llu\n",
                (unsigned long long)vdb_count(committed), (unsigned long long)(n - doomed_count));
        return 1;
    }
    snprintf(path, sizeof path, "%s/c_commit_%s.txt", dir, metric);
    if (write_results(committed, queries, nq, dim, k, ef, NULL, 1, path))
        return 1;
    vdb_close(committed);
    vdb_close(index);

    /* The saved file opened writable, its doomed ids deleted in one call (as
     * every language does it), searched, then saved as the deleted file. */
    vdb_index *changed = NULL;
    rc = vdb_open(&changed, saved, VDB_OPEN_WRITABLE);
    if (rc != VDB_OK)
        return fail("vdb_open writable", rc);
    rc = vdb_delete(changed, doomed, doomed_count);
    if (rc != VDB_OK)
        return fail("vdb_delete", rc);
    if (vdb_count(changed) != n - doomed_count || vdb_deleted(changed) != doomed_count) {
        fprintf(stderr, "make_index: after deleting %llu of %u: count %llu, deleted %llu\n",
                (unsigned long long)doomed_count, n, (unsigned long long)vdb_count(changed),
                (unsigned long long)vdb_deleted(changed));
        return 1;
    }
    snprintf(path, sizeof path, "%s/c_delete_%s.txt", dir, metric);
    if (write_results(changed, queries, nq, dim, k, ef, NULL, 1, path))
        return 1;
    snprintf(path, sizeof path, "%s/c_delete_filter_%s.txt", dir, metric);
    if (write_results(changed, queries, nq, dim, k, ef, filter, 1, path))
        return 1;
    snprintf(saved, sizeof saved, "%s/index_%s_deleted.vdbi", dir, metric);
    rc = vdb_save(changed, saved);
    if (rc != VDB_OK)
        return fail("vdb_save deleted", rc);
    vdb_close(changed);

    /* The deleted file: smaller by the deleted vectors, searched with the filter. */
    rc = vdb_open(&opened, saved, VDB_OPEN_VERIFY);
    if (rc != VDB_OK)
        return fail("vdb_open deleted", rc);
    if (vdb_count(opened) != n - doomed_count || vdb_deleted(opened) != 0) {
        fprintf(stderr, "make_index: the deleted file holds %llu vectors (%llu deleted), not %llu\n",
                (unsigned long long)vdb_count(opened), (unsigned long long)vdb_deleted(opened),
                (unsigned long long)(n - doomed_count));
        return 1;
    }
    snprintf(path, sizeof path, "%s/c_filter_%s.txt", dir, metric);
    if (write_results(opened, queries, nq, dim, k, ef, filter, 1, path))
        return 1;
    vdb_close(opened);

    vdb_filter_close(filter);
    free(ids);
    free(doomed);
    free(allowed);
    free(data);
    free(queries);
    return 0;
}
