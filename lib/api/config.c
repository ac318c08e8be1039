/*
 * Configuration, threads and versions. A caller's vdb_config may be an older
 * version of the struct than this library's: index/config.c copies only the
 * fields it has.
 */
#include "index/config.h"
#include "index/index.h"
#include "util/error.h"
#include "util/limits.h"

#include <string.h>

#define STRINGIFY(x) #x
#define VERSION_TEXT(a, b, c) STRINGIFY(a) "." STRINGIFY(b) "." STRINGIFY(c)

void vdb_config_init(vdb_config *cfg, uint32_t version)
{
    if (!cfg)
        return;
    size_t size = vdb_config_size(version);
    if (size == 0) { /* a version this library does not know: whatever takes the config will refuse it */
        cfg->version = version;
        return;
    }
    vdb_config defaults = vdb_config_defaults();
    memcpy(cfg, &defaults, size);
    cfg->version = version;
}

int vdb_get_config(const vdb_index *index, vdb_config *out)
{
    if (!index || !out)
        return vdb_fail(VDB_EINVAL, "%s is NULL", index ? "out" : "index");
    return vdb_config_write(&index->config, out);
}

int vdb_set_threads(vdb_index *index, uint32_t threads)
{
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    if (threads > VDB_MAX_THREADS)
        return vdb_fail(VDB_EINVAL, "threads %u is over %u", threads, VDB_MAX_THREADS);
    index->config.threads = threads;
    return VDB_OK;
}

uint32_t vdb_version_number(void) { return VDB_VERSION_NUMBER; }

const char *vdb_version_string(void) { return VERSION_TEXT(VDB_VERSION_MAJOR, VDB_VERSION_MINOR, VDB_VERSION_PATCH); }
