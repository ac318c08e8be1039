/*
 * libFuzzer target for the parsers of untrusted bytes: the index file reader
 * (vdb_open, vdb_verify, then searches, vdb_get and a filtered search of the
 * opened index; a writable open, a delete and an add)
 * and the vector file readers (.npy, .fvecs, raw), all on the same input.
 * Build: cmake -DCMAKE_C_COMPILER=clang -DVDB_BUILD_FUZZ=ON; run: fuzz_open CORPUS_DIR
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <vdb.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char folder[] = "/tmp/vdb-fuzz-XXXXXX";
static char data_path[64], npy_path[64], fvecs_path[64], raw_path[64];

static void remove_folder(void)
{
    unlink(npy_path);
    unlink(fvecs_path);
    unlink(raw_path);
    unlink(data_path);
    rmdir(folder);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(folder))
        abort();
    snprintf(data_path, sizeof data_path, "%s/input.vdb", folder);
    /* The vector readers pick the format from the name: three names for the same bytes. */
    snprintf(npy_path, sizeof npy_path, "%s/input.npy", folder);
    snprintf(fvecs_path, sizeof fvecs_path, "%s/input.fvecs", folder);
    snprintf(raw_path, sizeof raw_path, "%s/input.f32", folder);
    if (symlink("input.vdb", npy_path) != 0 || symlink("input.vdb", fvecs_path) != 0 ||
        symlink("input.vdb", raw_path) != 0)
        abort();
    atexit(remove_folder);
    return 0;
}

static void search_index(const vdb_index *index)
{
    uint32_t dim = vdb_dim(index);
    float *query = calloc(dim ? dim : 1, sizeof *query);
    if (!query)
        return;
    for (uint32_t i = 0; i < dim; i++)
        query[i] = (float)(i % 7) * 0.25f;
    uint64_t ids[8];
    float distances[8];
    uint32_t found = 0;
    if (vdb_search(index, query, 8, 16, ids, distances, &found) == VDB_OK && found > 8)
        abort();
    /* The id table a damaged ids section builds, and both ways of a filtered search. */
    float *vector = calloc(dim ? dim : 1, sizeof *vector);
    uint64_t few[] = {0, 1, 2, 3}, probe = vdb_count(index) / 2;
    if (vector)
        (void)vdb_get(index, probe, vector);
    vdb_filter *filter = NULL;
    if (vdb_filter_create(&filter, few, 4) == VDB_OK) {
        if (vdb_search_filtered(index, query, 8, 16, filter, ids, distances, &found) == VDB_OK && found > 4)
            abort(); /* only 4 ids are allowed */
        vdb_filter_close(filter);
    }
    free(vector);
    free(query);
}

/* A writable open copies links and ids, then a delete and an add change them. */
static void change_index(const char *path)
{
    vdb_index *index = NULL;
    if (vdb_open(&index, path, VDB_OPEN_WRITABLE) != VDB_OK)
        return;
    uint64_t first = 0;
    (void)vdb_delete(index, &first, 1);
    uint32_t dim = vdb_dim(index);
    float *row = calloc(dim ? dim : 1, sizeof *row);
    if (row)
        (void)vdb_add(index, row, 1, NULL);
    search_index(index);
    free(row);
    vdb_close(index);
}

static void read_vectors(const char *path, uint32_t dim)
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
        abort();
    (void)sink;
    vdb_vectors_close(vectors);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *file = fopen(data_path, "wb");
    if (!file)
        abort();
    if (size && fwrite(data, 1, size, file) != size)
        abort();
    fclose(file);

    (void)vdb_verify(data_path);
    vdb_index *index = NULL;
    if (vdb_open(&index, data_path, VDB_OPEN_DEFAULT) == VDB_OK) {
        search_index(index);
        vdb_close(index);
    }
    if (vdb_open(&index, data_path, VDB_OPEN_VERIFY) == VDB_OK) {
        search_index(index);
        vdb_close(index);
    }
    change_index(data_path);

    read_vectors(npy_path, 0);
    read_vectors(fvecs_path, 0);
    read_vectors(raw_path, size ? (uint32_t)(data[0] % 8) + 1 : 1);
    return 0;
}
