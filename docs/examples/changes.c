/*
 * A living index: open a saved index writable, delete, upsert and get by
 * id, search with a filter, and save the changes back to the same file.
 * Build against an installed libvdb:  cc changes.c $(pkg-config --cflags --libs vdb)
 */
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>

enum { DIM = 16, COUNT = 1000, K = 3 };

static int check(int code, const char *what)
{
    if (code != VDB_OK)
        fprintf(stderr, "%s: %s (%s)\n", what, vdb_strerror(code), vdb_last_error());
    return code != VDB_OK;
}

/* The filter's predicate: even ids only. */
static int even(uint64_t id, void *ctx)
{
    (void)ctx;
    return id % 2 == 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "changes.vdb";
    float *vectors = malloc(sizeof(float) * DIM * COUNT);
    if (!vectors)
        return 1;
    srand(7);
    for (int i = 0; i < DIM * COUNT; i++)
        vectors[i] = (float)rand() / (float)RAND_MAX;

    /* A saved index with ids 0 .. 999. */
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    vdb_index *index = NULL;
    if (check(vdb_create(&index, &cfg), "create") || check(vdb_add(index, vectors, COUNT, NULL), "add") ||
        check(vdb_save(index, path), "save"))
        return 1;
    vdb_close(index);

    /* Reopen it writable: delete two ids, give id 7 the vector of row 500, add id 5000. */
    if (check(vdb_open(&index, path, VDB_OPEN_WRITABLE), "open writable"))
        return 1;
    uint64_t doomed[] = {10, 11}, seven = 7, new_id = 5000;
    if (check(vdb_delete(index, doomed, 2), "delete") ||
        check(vdb_upsert(index, vectors + 500 * DIM, 1, &seven), "upsert") ||
        check(vdb_add(index, vectors + 900 * DIM, 1, &new_id), "add"))
        return 1;
    float row[DIM];
    int missing = vdb_get(index, 10, row) == VDB_ENOTFOUND;
    if (check(vdb_get(index, 7, row), "get"))
        return 1;

    /* Search near row 500 with and without a filter: ids 500 and 7 now hold the same vector. */
    uint64_t ids[K], even_ids[K], listed_ids[K], allowed[] = {7, 501, 502};
    vdb_filter *even_only = NULL, *listed = NULL;
    if (check(vdb_search(index, vectors + 500 * DIM, K, 0, ids, NULL, NULL), "search") ||
        check(vdb_filter_from_fn(&even_only, even, NULL), "filter") ||
        check(vdb_search_filtered(index, vectors + 500 * DIM, K, 0, even_only, even_ids, NULL, NULL), "filtered") ||
        check(vdb_filter_create(&listed, allowed, 3), "allow-list") ||
        check(vdb_search_filtered(index, vectors + 500 * DIM, K, 0, listed, listed_ids, NULL, NULL), "allow-list"))
        return 1;
    printf("%llu vectors; id 10 deleted: %s; nearest to row 500: %llu %llu; even only: %llu; listed: %llu\n",
           (unsigned long long)vdb_count(index), missing ? "yes" : "no", (unsigned long long)ids[0],
           (unsigned long long)ids[1], (unsigned long long)even_ids[0], (unsigned long long)listed_ids[0]);
    int ok = missing && row[0] == vectors[500 * DIM] && even_ids[0] % 2 == 0 &&
             (listed_ids[0] == 7 || listed_ids[0] == 501 || listed_ids[0] == 502);

    /* Save over the file it was opened from; the deleted vectors are left out. */
    if (check(vdb_save(index, path), "save in place"))
        return 1;
    vdb_filter_close(even_only);
    vdb_filter_close(listed);
    vdb_close(index);
    if (check(vdb_open(&index, path, VDB_OPEN_VERIFY), "reopen"))
        return 1;
    ok = ok && vdb_count(index) == COUNT - 1;
    printf("after saving: %llu vectors\n", (unsigned long long)vdb_count(index));
    vdb_close(index);
    free(vectors);
    return ok ? 0 : 1;
}
