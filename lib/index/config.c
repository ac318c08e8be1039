/*
 * A config's version says how long the caller's struct is. The table below
 * grows by a line with each version; fields are only ever added at the end.
 */
#include "index/config.h"

#include "util/error.h"
#include "util/limits.h"

#include <string.h>

/* The end of the last field of each version. */
static const size_t config_sizes[] = {
    [1] = offsetof(vdb_config, seed) + sizeof(uint64_t),
    [2] = offsetof(vdb_config, rerank) + sizeof(uint32_t),
};
_Static_assert(sizeof config_sizes / sizeof config_sizes[0] == VDB_CONFIG_VERSION + 1,
               "every config version up to VDB_CONFIG_VERSION has its size");

size_t vdb_config_size(uint32_t version)
{
    return version >= 1 && version <= VDB_CONFIG_VERSION ? config_sizes[version] : 0;
}

vdb_config vdb_config_defaults(void)
{
    return (vdb_config){.version = VDB_CONFIG_VERSION,
                        .metric = VDB_METRIC_L2,
                        .m = 16,
                        .ef_construction = 200,
                        .ef_search = 64,
                        .seed = 42};
}

static int check(const vdb_config *config, int dim_required)
{
    if ((dim_required && config->dim == 0) || config->dim > VDB_MAX_DIM)
        return vdb_fail(VDB_EINVAL, "dimension %u is outside 1..%u", config->dim, VDB_MAX_DIM);
    if (config->metric < VDB_METRIC_L2 || config->metric > VDB_METRIC_COSINE)
        return vdb_fail(VDB_EINVAL, "unknown metric %d", config->metric);
    if (config->m < VDB_MIN_M || config->m > VDB_MAX_M)
        return vdb_fail(VDB_EINVAL, "m %u is outside %u..%u", config->m, VDB_MIN_M, VDB_MAX_M);
    if (config->ef_construction == 0 || config->ef_construction > VDB_MAX_EF || config->ef_search == 0 ||
        config->ef_search > VDB_MAX_EF)
        return vdb_fail(VDB_EINVAL, "ef_construction %u or ef_search %u is outside 1..%u", config->ef_construction,
                        config->ef_search, VDB_MAX_EF);
    if (config->threads > VDB_MAX_THREADS)
        return vdb_fail(VDB_EINVAL, "threads %u is over %u", config->threads, VDB_MAX_THREADS);
    if (config->reserved != 0)
        return vdb_fail(VDB_EINVAL, "config.reserved must be 0");
    if (config->codes < VDB_CODES_NONE || config->codes > VDB_CODES_PQ)
        return vdb_fail(VDB_EINVAL, "unknown codes %d (VDB_CODES_NONE, VDB_CODES_INT8 or VDB_CODES_PQ)", config->codes);
    int code = vdb_config_check_code_bytes(config);
    if (code != VDB_OK)
        return code;
    if (config->rerank > VDB_MAX_EF)
        return vdb_fail(VDB_EINVAL, "rerank %u is over %u", config->rerank, VDB_MAX_EF);
    return VDB_OK;
}

int vdb_config_check_code_bytes(const vdb_config *config)
{
    if (config->codes != VDB_CODES_PQ && config->code_bytes != 0)
        return vdb_fail(VDB_EINVAL, "code_bytes %u is for VDB_CODES_PQ only: leave it 0", config->code_bytes);
    if (config->codes == VDB_CODES_PQ && config->dim != 0 && config->code_bytes > config->dim)
        return vdb_fail(VDB_EINVAL, "code_bytes %u is more than the dimension %u: PQ takes 1..dim bytes a vector",
                        config->code_bytes, config->dim);
    return VDB_OK;
}

static int unknown_version(uint32_t version)
{
    return vdb_fail(VDB_EINVAL,
                    "config version %u is not one this library (%d.%d.%d) reads (1..%d): initialise the config with "
                    "vdb_config_init(&config, VDB_CONFIG_VERSION)",
                    version, VDB_VERSION_MAJOR, VDB_VERSION_MINOR, VDB_VERSION_PATCH, VDB_CONFIG_VERSION);
}

int vdb_config_read(const vdb_config *theirs, vdb_config *out, int dim_required)
{
    if (!theirs)
        return vdb_fail(VDB_EINVAL, "config is NULL");
    size_t size = vdb_config_size(theirs->version);
    if (size == 0)
        return unknown_version(theirs->version);
    *out = vdb_config_defaults();
    memcpy(out, theirs, size);
    out->version = VDB_CONFIG_VERSION;
    return check(out, dim_required);
}

int vdb_config_write(const vdb_config *config, vdb_config *theirs)
{
    uint32_t version = theirs->version;
    size_t size = vdb_config_size(version);
    if (size == 0)
        return unknown_version(version);
    memcpy(theirs, config, size);
    theirs->version = version;
    return VDB_OK;
}
