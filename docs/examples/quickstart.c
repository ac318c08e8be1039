/*
 * libvdb in one page: create, add, search, save, open, search again.
 * Build against an installed libvdb:  cc quickstart.c $(pkg-config --cflags --libs vdb)
 */
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>

enum { DIM = 32, COUNT = 2000, K = 5 };

static int check(int code, const char *what)
{
    if (code != VDB_OK)
        fprintf(stderr, "%s: %s (%s)\n", what, vdb_strerror(code), vdb_last_error());
    return code != VDB_OK;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "quickstart.vdb";
    float *vectors = malloc(sizeof(float) * DIM * COUNT);
    if (!vectors)
        return 1;
    srand(1);
    for (int i = 0; i < DIM * COUNT; i++)
        vectors[i] = (float)rand() / (float)RAND_MAX;

    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    vdb_index *index = NULL;
    if (check(vdb_create(&index, &cfg), "create") || check(vdb_add(index, vectors, COUNT, NULL), "add"))
        return 1;

    const float *query = vectors + 42 * DIM; /* row 42 must find itself first */
    uint64_t ids[K];
    float distances[K];
    uint32_t found = 0;
    if (check(vdb_search(index, query, K, 0, ids, distances, &found), "search") || check(vdb_save(index, path), "save"))
        return 1;
    vdb_close(index);

    vdb_index *opened = NULL;
    uint64_t reopened_ids[K];
    if (check(vdb_open(&opened, path, VDB_OPEN_DEFAULT), "open") ||
        check(vdb_search(opened, query, K, 0, reopened_ids, NULL, NULL), "search after open"))
        return 1;
    printf("libvdb %s: %llu vectors; nearest to row 42:", vdb_version_string(), (unsigned long long)vdb_count(opened));
    int same = ids[0] == 42;
    for (uint32_t i = 0; i < found; i++) {
        printf(" %llu (%.4f)", (unsigned long long)ids[i], distances[i]);
        same = same && reopened_ids[i] == ids[i];
    }
    printf("\n%s\n", same ? "ok: the reopened index gives the same answer" : "MISMATCH");
    vdb_close(opened);
    free(vectors);
    return same ? 0 : 1;
}
