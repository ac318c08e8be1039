/*
 * vdb_config_init, vdb_create's configuration checks, vdb_set_threads,
 * vdb_get_config, and the NULL behaviour of the small accessors.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stddef.h>
#include <string.h>

static vdb_index *const SENTINEL = (vdb_index *)(uintptr_t)0x5eed;

static vdb_config config_with_dim(uint32_t dim)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = dim;
    return cfg;
}

/* vdb_create must refuse cfg with VDB_EINVAL and leave *out alone. */
static void expect_create_einval(const vdb_config *cfg, const char *what)
{
    vdb_index *index = SENTINEL;
    cr_expect_eq(vdb_create(&index, cfg), VDB_EINVAL, "%s: expected VDB_EINVAL", what);
    cr_expect_eq(index, SENTINEL, "%s: *out was written on failure", what);
    cr_expect_neq(strcmp(vdb_last_error(), "no error"), 0, "%s: no error message", what);
}

Test(config, init_sets_documented_defaults)
{
    vdb_config cfg;
    memset(&cfg, 0xAB, sizeof cfg);
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cr_expect_eq(cfg.version, VDB_CONFIG_VERSION);
    cr_expect_eq(cfg.version, 2u);
    cr_expect_eq(cfg.dim, 0u);
    cr_expect_eq(cfg.metric, VDB_METRIC_L2);
    cr_expect_eq(cfg.m, 16u);
    cr_expect_eq(cfg.ef_construction, 200u);
    cr_expect_eq(cfg.ef_search, 64u);
    cr_expect_eq(cfg.threads, 0u);
    cr_expect_eq(cfg.reserved, 0u);
    cr_expect_eq(cfg.seed, 42u);
    cr_expect_eq(cfg.codes, VDB_CODES_NONE);
    cr_expect_eq(cfg.rerank, 0u);
}

Test(config, init_ignores_null) { vdb_config_init(NULL, VDB_CONFIG_VERSION); }

Test(config, create_with_defaults_and_dim_gives_empty_index)
{
    vdb_config cfg = config_with_dim(8);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_not_null(index);
    cr_expect_eq(vdb_count(index), 0u);
    cr_expect_eq(vdb_dim(index), 8u);
    cr_expect_eq(vdb_metric(index), VDB_METRIC_L2);
    vdb_close(index);
}

Test(config, create_accepts_the_limits_of_each_range)
{
    vdb_config cfg = config_with_dim(1);
    vdb_index *index = NULL;
    cr_expect_eq(vdb_create(&index, &cfg), VDB_OK, "dim 1: %s", vdb_last_error());
    vdb_close(index);
    cfg = config_with_dim(65536);
    index = NULL;
    cr_expect_eq(vdb_create(&index, &cfg), VDB_OK, "dim 65536: %s", vdb_last_error());
    vdb_close(index);
    cfg = config_with_dim(4);
    cfg.m = 2;
    index = NULL;
    cr_expect_eq(vdb_create(&index, &cfg), VDB_OK, "m 2: %s", vdb_last_error());
    vdb_close(index);
    cfg.m = 256;
    index = NULL;
    cr_expect_eq(vdb_create(&index, &cfg), VDB_OK, "m 256: %s", vdb_last_error());
    vdb_close(index);
    cfg = config_with_dim(4);
    cfg.ef_construction = 1;
    cfg.ef_search = 1;
    cfg.metric = VDB_METRIC_COSINE;
    index = NULL;
    cr_expect_eq(vdb_create(&index, &cfg), VDB_OK, "ef 1, cosine: %s", vdb_last_error());
    cr_expect_eq(vdb_metric(index), VDB_METRIC_COSINE);
    vdb_close(index);
}

Test(config, create_refuses_null_out_and_null_config)
{
    vdb_config cfg = config_with_dim(8);
    cr_expect_eq(vdb_create(NULL, &cfg), VDB_EINVAL);
    expect_create_einval(NULL, "NULL cfg");
}

Test(config, create_refuses_dim_zero_and_over_65536)
{
    vdb_config cfg = config_with_dim(0);
    expect_create_einval(&cfg, "dim 0");
    cfg.dim = 65537;
    expect_create_einval(&cfg, "dim 65537");
    cfg.dim = UINT32_MAX;
    expect_create_einval(&cfg, "dim UINT32_MAX");
}

Test(config, create_refuses_unknown_metric)
{
    vdb_config cfg = config_with_dim(8);
    cfg.metric = 3;
    expect_create_einval(&cfg, "metric 3");
    cfg.metric = -1;
    expect_create_einval(&cfg, "metric -1");
}

Test(config, create_refuses_m_outside_2_to_256)
{
    vdb_config cfg = config_with_dim(8);
    cfg.m = 1;
    expect_create_einval(&cfg, "m 1");
    cfg.m = 0;
    expect_create_einval(&cfg, "m 0");
    cfg.m = 257;
    expect_create_einval(&cfg, "m 257");
}

Test(config, create_refuses_beam_widths_outside_1_to_65536)
{
    vdb_config cfg = config_with_dim(8);
    cfg.ef_construction = 0;
    expect_create_einval(&cfg, "ef_construction 0");
    cfg.ef_construction = 65537;
    expect_create_einval(&cfg, "ef_construction 65537");
    cfg = config_with_dim(8);
    cfg.ef_search = 0;
    expect_create_einval(&cfg, "ef_search 0");
    cfg.ef_search = UINT32_MAX;
    expect_create_einval(&cfg, "ef_search 2^32 - 1");
}

Test(config, create_refuses_nonzero_reserved)
{
    vdb_config cfg = config_with_dim(8);
    cfg.reserved = 1;
    expect_create_einval(&cfg, "reserved 1");
}

Test(config, create_refuses_wrong_config_version)
{
    vdb_config cfg = config_with_dim(8);
    cfg.version = 0;
    expect_create_einval(&cfg, "version 0");
    cfg.version = VDB_CONFIG_VERSION + 1;
    expect_create_einval(&cfg, "version 2");
}

Test(config, create_refuses_more_than_1024_threads)
{
    vdb_config cfg = config_with_dim(8);
    cfg.threads = 1025;
    expect_create_einval(&cfg, "threads 1025");
}

Test(config, get_config_returns_what_create_was_given)
{
    vdb_config cfg = config_with_dim(12);
    cfg.metric = VDB_METRIC_IP;
    cfg.m = 7;
    cfg.ef_construction = 33;
    cfg.ef_search = 21;
    cfg.threads = 3;
    cfg.seed = 0x123456789ull;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    vdb_config got;
    memset(&got, 0xCD, sizeof got);
    vdb_config_init(&got, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(index, &got), VDB_OK);
    cr_expect_eq(got.version, VDB_CONFIG_VERSION);
    cr_expect_eq(got.dim, 12u);
    cr_expect_eq(got.metric, VDB_METRIC_IP);
    cr_expect_eq(got.m, 7u);
    cr_expect_eq(got.ef_construction, 33u);
    cr_expect_eq(got.ef_search, 21u);
    cr_expect_eq(got.threads, 3u);
    cr_expect_eq(got.seed, 0x123456789ull);
    vdb_close(index);
}

Test(config, get_config_refuses_null)
{
    vdb_config cfg = config_with_dim(4), got;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_expect_eq(vdb_get_config(NULL, &got), VDB_EINVAL);
    cr_expect_eq(vdb_get_config(index, NULL), VDB_EINVAL);
    vdb_close(index);
}

Test(config, set_threads_accepts_0_to_1024_and_refuses_1025)
{
    vdb_config cfg = config_with_dim(4), got;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_expect_eq(vdb_set_threads(index, 0), VDB_OK);
    cr_expect_eq(vdb_set_threads(index, 1), VDB_OK);
    cr_expect_eq(vdb_set_threads(index, 1024), VDB_OK);
    cr_expect_eq(vdb_set_threads(index, 5), VDB_OK);
    cr_expect_eq(vdb_set_threads(index, 1025), VDB_EINVAL);
    cr_expect_eq(vdb_set_threads(NULL, 1), VDB_EINVAL);
    vdb_config_init(&got, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(index, &got), VDB_OK);
    cr_expect_eq(got.threads, 5u, "a refused vdb_set_threads changed threads to %u", got.threads);
    vdb_close(index);
}

Test(config, accessors_on_null_give_0_0_and_minus_1)
{
    cr_expect_eq(vdb_count(NULL), 0u);
    cr_expect_eq(vdb_dim(NULL), 0u);
    cr_expect_eq(vdb_metric(NULL), -1);
}

Test(config, close_accepts_null) { vdb_close(NULL); }

/*
 * The struct can grow: the library reads and writes only the bytes of the
 * caller's version. A caller's buffer with room after the struct shows
 * that nothing past its end is written, and a version the library does not
 * know is refused wherever the config is taken.
 */
typedef struct {
    vdb_config config;
    unsigned char after[32];
} padded_config;

static int untouched(const unsigned char *bytes, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (bytes[i] != 0xAB)
            return 0;
    return 1;
}

Test(config, init_and_get_config_write_only_the_callers_version)
{
    padded_config mine;
    memset(&mine, 0xAB, sizeof mine);
    vdb_config_init(&mine.config, VDB_CONFIG_VERSION);
    cr_expect(untouched(mine.after, sizeof mine.after), "vdb_config_init wrote past the struct");
    cr_expect_eq(mine.config.version, (uint32_t)VDB_CONFIG_VERSION);
    mine.config.dim = 5;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &mine.config), VDB_OK, "%s", vdb_last_error());
    padded_config got;
    memset(&got, 0xAB, sizeof got);
    vdb_config_init(&got.config, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(index, &got.config), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(got.config.dim, 5u);
    cr_expect(untouched(got.after, sizeof got.after), "vdb_get_config wrote past the struct");
    vdb_close(index);
}

Test(config, an_unknown_version_is_only_recorded_then_refused)
{
    uint32_t versions[] = {0, VDB_CONFIG_VERSION + 1, 1000};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        padded_config cfg;
        memset(&cfg, 0xAB, sizeof cfg);
        vdb_config_init(&cfg.config, versions[i]);
        cr_expect_eq(cfg.config.version, versions[i]);
        cr_expect(
            untouched((const unsigned char *)&cfg + sizeof cfg.config.version, sizeof cfg - sizeof cfg.config.version),
            "version %u: vdb_config_init wrote a field it cannot know", versions[i]);
        cfg.config.dim = 4;
        cfg.config.m = 16;
        vdb_index *index = NULL;
        cr_expect_eq(vdb_create(&index, &cfg.config), VDB_EINVAL, "version %u", versions[i]);
        cr_expect_not_null(strstr(vdb_last_error(), "config version"), "%s", vdb_last_error());
        cr_expect_null(index);
    }
    vdb_config good;
    vdb_config_init(&good, VDB_CONFIG_VERSION);
    good.dim = 4;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &good), VDB_OK);
    vdb_config out;
    vdb_config_init(&out, VDB_CONFIG_VERSION + 1);
    cr_expect_eq(vdb_get_config(index, &out), VDB_EINVAL, "get_config into a config of an unknown version");
    vdb_close(index);
}

/* A caller built against version 1 (40 bytes, no codes) still creates indexes and reads configs. */
Test(config, a_version_1_caller_gets_version_1_bytes_only)
{
    padded_config old;
    memset(&old, 0xAB, sizeof old);
    vdb_config_init(&old.config, 1);
    const size_t version1_size = offsetof(vdb_config, seed) + sizeof(uint64_t);
    cr_expect(untouched((const unsigned char *)&old.config + version1_size, sizeof old - version1_size),
              "vdb_config_init(1) wrote past a version-1 struct");
    old.config.dim = 3;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &old.config), VDB_OK, "%s", vdb_last_error());
    padded_config got;
    memset(&got, 0xAB, sizeof got);
    vdb_config_init(&got.config, 1);
    cr_assert_eq(vdb_get_config(index, &got.config), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(got.config.dim, 3u);
    cr_expect(untouched((const unsigned char *)&got.config + version1_size, sizeof got - version1_size),
              "vdb_get_config wrote past a version-1 struct");
    vdb_close(index);
}

Test(config, codes_and_rerank_are_checked)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 8;
    cfg.codes = 7;
    expect_create_einval(&cfg, "unknown codes");
    cr_expect_not_null(strstr(vdb_last_error(), "codes"), "%s", vdb_last_error());
    cfg.codes = -1;
    expect_create_einval(&cfg, "negative codes");
    cfg.codes = VDB_CODES_INT8;
    cfg.rerank = 65537;
    expect_create_einval(&cfg, "rerank over the largest ef");
    cr_expect_not_null(strstr(vdb_last_error(), "rerank"), "%s", vdb_last_error());
    cfg.rerank = 100;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    vdb_config got;
    vdb_config_init(&got, VDB_CONFIG_VERSION);
    cr_assert_eq(vdb_get_config(index, &got), VDB_OK);
    cr_expect_eq(got.codes, VDB_CODES_INT8);
    cr_expect_eq(got.rerank, 100u);
    vdb_close(index);
}
