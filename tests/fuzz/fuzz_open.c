/*
 * libFuzzer target for the index file reader as an application meets it:
 * vdb_open (header checks only, and with VDB_OPEN_VERIFY), then searches,
 * vdb_get and a filtered search of what opened; a disk-resident open (node
 * blocks read with direct I/O, a cache filled, a batch walked); a writable
 * open, a delete and an add. The checksums are made right first (index_checksums.h), so damaged
 * header fields and links reach the checks and the searches. A file that
 * passes VDB_OPEN_VERIFY must open the other ways too.
 */
#include "fuzz_input.h"
#include "index_checksums.h"

#include <vdb.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 8, EF = 16 };

static const char *input_path;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    input_path = fuzz_input_path("input.vdb");
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_open: %s: %s\n", what, vdb_last_error());
    abort();
}

static void search_index(const vdb_index *index)
{
    uint32_t dim = vdb_dim(index);
    float *query = calloc(dim ? dim : 1, sizeof *query);
    float *vector = calloc(dim ? dim : 1, sizeof *vector);
    if (!query || !vector)
        abort();
    for (uint32_t i = 0; i < dim; i++)
        query[i] = (float)(i % 7) * 0.25f;
    uint64_t ids[K];
    float distances[K];
    uint32_t found = 0;
    /* ef 0 is the file's own ef_search. */
    if (vdb_search(index, query, K, 0, ids, distances, &found) == VDB_OK && found > K)
        fail("vdb_search found more than k");
    if (vdb_search(index, query, K, EF, ids, distances, &found) == VDB_OK && found > K)
        fail("vdb_search found more than k");
    /* The id table a damaged ids section builds, and both ways of a filtered search. */
    (void)vdb_get(index, vdb_count(index) / 2, vector);
    uint64_t few[] = {0, 1, 2, 3};
    vdb_filter *filter = NULL;
    if (vdb_filter_create(&filter, few, 4) == VDB_OK) {
        if (vdb_search_filtered(index, query, K, EF, filter, ids, distances, &found) == VDB_OK && found > 4)
            fail("vdb_search_filtered found more than the 4 ids allowed");
        vdb_filter_close(filter);
    }
    free(vector);
    free(query);
}

/* A writable open copies links and ids, then a delete and an add change them. */
static void change_index(int verified)
{
    vdb_index *index = NULL;
    int code = vdb_open(&index, input_path, VDB_OPEN_WRITABLE);
    if (code != VDB_OK) {
        if (verified && code != VDB_ENOMEM)
            fail("a verified file does not open writable");
        return;
    }
    uint64_t first = 0;
    (void)vdb_delete(index, &first, 1);
    uint32_t dim = vdb_dim(index);
    float *row = calloc(dim ? dim : 1, sizeof *row);
    if (!row)
        abort();
    (void)vdb_add(index, row, 1, NULL);
    search_index(index);
    free(row);
    vdb_close(index);
}

/* Disk-resident: the node blocks come from reads, not the mapping, through the cache and the batched walk too. */
static void search_from_disk(void)
{
    vdb_index *index = NULL;
    if (vdb_open(&index, input_path, VDB_OPEN_DISK) != VDB_OK)
        return;
    search_index(index);
    uint32_t dim = vdb_dim(index);
    float *queries = calloc(2 * (size_t)(dim ? dim : 1), sizeof *queries);
    if (!queries)
        abort();
    for (uint32_t i = 0; i < 2 * dim; i++)
        queries[i] = (float)(i % 5) * 0.5f;
    uint64_t ids[2 * K];
    uint32_t found[2];
    if (vdb_search_batch(index, queries, 2, K, EF, ids, NULL, found) == VDB_OK && (found[0] > K || found[1] > K))
        fail("vdb_search_batch found more than k");
    if (vdb_set_disk_cache(index, 1 << 16) == VDB_OK)
        search_index(index);
    free(queries);
    vdb_close(index);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *bytes = malloc(size ? size : 1);
    if (!bytes)
        abort();
    if (size)
        memcpy(bytes, data, size);
    fuzz_fix_checksums(bytes, size);
    fuzz_input_write(bytes, size);
    free(bytes);

    vdb_index *index = NULL;
    int opened = vdb_open(&index, input_path, VDB_OPEN_DEFAULT) == VDB_OK;
    if (opened) {
        search_index(index);
        vdb_close(index);
    }
    int verified = vdb_open(&index, input_path, VDB_OPEN_VERIFY) == VDB_OK;
    if (verified) {
        if (!opened)
            fail("a verified file does not open");
        search_index(index);
        vdb_close(index);
    }
    search_from_disk();
    change_index(verified);
    return 0;
}
