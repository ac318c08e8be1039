/*
 * Writes tests/golden/v1.idx: the golden index file of format version 1.
 * Run by hand, once per new format version (never by ctest):
 *     build/tests/make_golden tests/golden/v1.idx
 * One thread and a fixed seed, so the file is reproducible.
 */
#include "golden_data.h"

#include <vdb.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTPUT.idx\n", argv[0]);
        return 2;
    }
    static float vectors[GOLDEN_COUNT * GOLDEN_DIM];
    static uint64_t ids[GOLDEN_COUNT];
    for (uint32_t i = 0; i < GOLDEN_COUNT; i++) {
        golden_vector(i, vectors + i * GOLDEN_DIM);
        ids[i] = golden_id(i);
    }
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = GOLDEN_DIM;
    cfg.metric = VDB_METRIC_L2;
    cfg.m = GOLDEN_M;
    cfg.ef_construction = GOLDEN_EF_CONSTRUCTION;
    cfg.ef_search = GOLDEN_EF_SEARCH;
    cfg.threads = 1;
    cfg.seed = GOLDEN_SEED;
    vdb_index *index = NULL;
    int code = vdb_create(&index, &cfg);
    if (code == VDB_OK)
        code = vdb_add(index, vectors, GOLDEN_COUNT, ids);
    if (code == VDB_OK)
        code = vdb_save(index, argv[1]);
    vdb_close(index);
    if (code == VDB_OK)
        code = vdb_verify(argv[1]);
    if (code != VDB_OK) {
        fprintf(stderr, "make_golden: %s: %s\n", vdb_strerror(code), vdb_last_error());
        return 1;
    }
    printf("wrote %s: %d vectors of %d floats\n", argv[1], GOLDEN_COUNT, GOLDEN_DIM);
    return 0;
}
