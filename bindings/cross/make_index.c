/*
 * The C side of the cross-language test: builds an index from seeded data,
 * saves it, writes the queries as raw float32, and writes the answers C gets
 * from the saved file as text, one line per query:
 *   <query> <found> <id> <distance> <id> <distance> ...
 * Distances are printed with 9 significant digits (exact for a float).
 *
 *   make_index <metric l2|ip|cosine> <n> <dim> <nq> <k> <ef> <out dir>
 * writes <out dir>/index_<metric>.vdbi, queries.f32 and c_<metric>.txt.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdb.h"

static uint64_t rng_state;

/* splitmix64: the same stream on every machine. */
static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1), from the top 24 bits. */
static float next_float(void) { return (float)(next_u64() >> 40) / 8388608.0f - 1.0f; }

static int fail(const char *what, int rc) {
    fprintf(stderr, "make_index: %s: %s (%d): %s\n", what, vdb_strerror(rc), rc, vdb_last_error());
    return 1;
}

static int write_results(const vdb_index *index, const float *queries, uint32_t nq, uint32_t dim, uint32_t k,
                         uint32_t ef, FILE *out) {
    uint64_t *ids = malloc(sizeof *ids * k);
    float *distances = malloc(sizeof *distances * k);
    for (uint32_t q = 0; q < nq; q++) {
        uint32_t found = 0;
        int rc = vdb_search(index, queries + (size_t)q * dim, k, ef, ids, distances, &found);
        if (rc != VDB_OK) return fail("vdb_search", rc);
        fprintf(out, "%u %u", q, found);
        for (uint32_t i = 0; i < found; i++) fprintf(out, " %llu %.9g", (unsigned long long)ids[i], distances[i]);
        fprintf(out, "\n");
    }
    free(ids);
    free(distances);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: make_index <l2|ip|cosine> <n> <dim> <nq> <k> <ef> <out dir>\n");
        return 2;
    }
    const char *metric = argv[1];
    uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10), dim = (uint32_t)strtoul(argv[3], NULL, 10);
    uint32_t nq = (uint32_t)strtoul(argv[4], NULL, 10), k = (uint32_t)strtoul(argv[5], NULL, 10);
    uint32_t ef = (uint32_t)strtoul(argv[6], NULL, 10);
    const char *dir = argv[7];
    char path[4096];

    if (vdb_version_number() != VDB_VERSION_NUMBER) {
        fprintf(stderr, "make_index: built against %d, running %u\n", VDB_VERSION_NUMBER, vdb_version_number());
        return 1;
    }

    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    cfg.metric = strcmp(metric, "ip") == 0 ? VDB_METRIC_IP : strcmp(metric, "cosine") == 0 ? VDB_METRIC_COSINE : VDB_METRIC_L2;
    cfg.threads = 1;
    cfg.seed = 2024;

    rng_state = 1234567;
    float *data = malloc(sizeof *data * (size_t)n * dim);
    float *queries = malloc(sizeof *queries * (size_t)nq * dim);
    for (size_t i = 0; i < (size_t)n * dim; i++) data[i] = next_float();
    for (size_t i = 0; i < (size_t)nq * dim; i++) queries[i] = next_float();

    vdb_index *index = NULL;
    int rc = vdb_create(&index, &cfg);
    if (rc != VDB_OK) return fail("vdb_create", rc);
    /* Ids that are not row numbers, so a binding that confuses the two shows it. */
    uint64_t *ids = malloc(sizeof *ids * n);
    for (uint32_t i = 0; i < n; i++) ids[i] = (1ULL << 60) + 1000000007ULL * i; /* past 2^53 too */
    rc = vdb_add(index, data, n, ids);
    if (rc != VDB_OK) return fail("vdb_add", rc);

    snprintf(path, sizeof path, "%s/index_%s.vdbi", dir, metric);
    rc = vdb_save(index, path);
    if (rc != VDB_OK) return fail("vdb_save", rc);

    snprintf(path, sizeof path, "%s/queries.f32", dir);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(queries, sizeof *queries, (size_t)nq * dim, f) != (size_t)nq * dim || fclose(f) != 0) {
        perror(path);
        return 1;
    }

    /* The answers of the saved file, which every language queries. */
    vdb_index *opened = NULL;
    snprintf(path, sizeof path, "%s/index_%s.vdbi", dir, metric);
    rc = vdb_open(&opened, path, VDB_OPEN_VERIFY);
    if (rc != VDB_OK) return fail("vdb_open", rc);
    snprintf(path, sizeof path, "%s/c_%s.txt", dir, metric);
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        return 1;
    }
    if (write_results(opened, queries, nq, dim, k, ef, out)) return 1;
    fclose(out);

    /* The index in memory must answer as its saved file does. */
    snprintf(path, sizeof path, "%s/c_memory_%s.txt", dir, metric);
    out = fopen(path, "w");
    if (!out || write_results(index, queries, nq, dim, k, ef, out)) return 1;
    fclose(out);

    vdb_close(opened);
    vdb_close(index);
    free(ids);
    free(data);
    free(queries);
    return 0;
}
