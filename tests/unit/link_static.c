/*
 * Link test: a small program against the static library (libvdb.a) alone,
 * exercising create, add, search, save, open and verify.
 */
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { DIM = 8, N = 500 };

static int fail(const char *what, int code)
{
    fprintf(stderr, "link_static: %s: %s (%s)\n", what, vdb_strerror(code), vdb_last_error());
    return 1;
}

int main(void)
{
    static float v[N * DIM];
    uint64_t state = 12345;
    for (int i = 0; i < N * DIM; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (float)(state >> 40) * 0x1.0p-24f;
    }
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    vdb_index *index = NULL;
    int code;
    if ((code = vdb_create(&index, &cfg)) != VDB_OK)
        return fail("create", code);
    if ((code = vdb_add(index, v, N, NULL)) != VDB_OK)
        return fail("add", code);
    char path[64];
    snprintf(path, sizeof path, "/tmp/vdb-link-static-%ld.vdb", (long)getpid());
    if ((code = vdb_save(index, path)) != VDB_OK)
        return fail("save", code);
    vdb_close(index);
    if ((code = vdb_verify(path)) != VDB_OK || (code = vdb_open(&index, path, VDB_OPEN_DEFAULT)) != VDB_OK) {
        remove(path);
        return fail("verify/open", code);
    }
    remove(path);
    uint64_t id = 0;
    float d = -1;
    uint32_t found = 0;
    code = vdb_search(index, v + 123 * DIM, 1, 0, &id, &d, &found);
    vdb_close(index);
    if (code != VDB_OK)
        return fail("search", code);
    if (found != 1 || id != 123 || d != 0.0f || vdb_version_number() != VDB_VERSION_NUMBER) {
        fprintf(stderr, "link_static: found %u id %llu distance %g\n", found, (unsigned long long)id, d);
        return 1;
    }
    puts("static library links and works");
    return 0;
}
