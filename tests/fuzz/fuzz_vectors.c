/*
 * libFuzzer target for the vector file readers: the same bytes are read as a
 * .npy, an .fvecs and a raw float32 file (the readers go by the name's ending
 * and the NUMPY magic), with vdb_vectors_open and its row accessors, and
 * through vdb_map_vectors and a small vdb_build, which is where an .fvecs
 * row's own dimension prefix is checked.
 */
#include "fuzz_input.h"

#include <vdb.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { MAX_BUILD_ROWS = 32, K = 4 };

static const char *npy_path, *fvecs_path, *raw_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_input_path("input");
    npy_path = fuzz_input_alias("input.npy");
    fvecs_path = fuzz_input_alias("input.fvecs");
    raw_path = fuzz_input_alias("input.f32");
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_vectors: %s\n", what);
    abort();
}

static void read_rows(const char *path, uint32_t dim)
{
    vdb_vectors *vectors = NULL;
    if (vdb_vectors_open(&vectors, path, dim) != VDB_OK)
        return;
    uint64_t rows = vdb_vectors_count(vectors);
    uint32_t d = vdb_vectors_dim(vectors);
    volatile float sink = 0;
    const uint64_t probe[3] = {0, rows / 2, rows ? rows - 1 : 0};
    for (int i = 0; i < 3; i++) {
        const float *row = vdb_vectors_row(vectors, probe[i]);
        for (uint32_t j = 0; row && j < d; j++)
            sink += row[j]; /* every float of a returned row must be readable */
    }
    if (vdb_vectors_row(vectors, rows) != NULL)
        fail("vdb_vectors_row gave a row past the last one");
    (void)sink;
    vdb_vectors_close(vectors);
}

static void build_and_search(const char *path, uint32_t dim)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    cfg.m = 4;
    cfg.ef_construction = 16;
    cfg.threads = 1;
    vdb_index *index = NULL;
    if (vdb_map_vectors(&index, path, &cfg) != VDB_OK)
        return;
    uint64_t rows = vdb_rows(index);
    (void)vdb_build(index, 0, rows < MAX_BUILD_ROWS ? rows : MAX_BUILD_ROWS);
    float *query = calloc(vdb_dim(index), sizeof *query);
    if (!query)
        abort();
    uint64_t ids[K];
    float distances[K];
    uint32_t found = 0;
    if (vdb_search(index, query, K, 0, ids, distances, &found) == VDB_OK && found > K)
        fail("vdb_search found more than k");
    free(query);
    vdb_close(index);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input_write(data, size);
    /* A raw file's dimension is not in the file: take a small one from the first byte. */
    uint32_t raw_dim = size ? (uint32_t)(data[0] % 8) + 1 : 1;
    read_rows(npy_path, 0);
    read_rows(fvecs_path, 0);
    read_rows(raw_path, raw_dim);
    build_and_search(npy_path, 0);
    build_and_search(fvecs_path, 0);
    build_and_search(raw_path, raw_dim);
    return 0;
}
