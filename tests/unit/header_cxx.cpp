/*
 * Header test, C++ side: vdb.h compiles as C++11 with -pedantic -Werror and
 * its extern "C" declarations link against the C library.
 */
#include <vdb.h>

#include <cstdio>
#include <cstring>

int main()
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 4;
    vdb_index *index = nullptr;
    if (vdb_create(&index, &cfg) != VDB_OK)
        return 1;
    const float v[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    const float q[4] = {0.9f, 0.9f, 1.0f, 1.0f};
    uint64_t id = 0;
    uint32_t found = 0;
    int ok = vdb_add(index, v, 2, nullptr) == VDB_OK && vdb_search(index, q, 1, 0, &id, nullptr, &found) == VDB_OK &&
             found == 1 && id == 1 && vdb_version_number() == VDB_VERSION_NUMBER &&
             std::strcmp(vdb_strerror(VDB_EINVAL), vdb_strerror(VDB_OK)) != 0;
    vdb_close(index);
    static_assert(VDB_OK == 0 && VDB_ERANGE == -9, "return codes");
    static_assert(sizeof(vdb_config) == 56, "vdb_config layout (version 2)");
    if (!ok) {
        std::fprintf(stderr, "header_cxx: library calls from C++ failed\n");
        return 1;
    }
    std::puts("vdb.h compiles as C++11 -pedantic and links");
    return 0;
}
