/*
 * The two error channels (vdb_strerror, the thread-local vdb_last_error) and
 * the run-time version calls.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const int all_codes[] = {VDB_OK,      VDB_EINVAL,   VDB_EDIM,      VDB_ENOMEM, VDB_EIO,
                                VDB_EFORMAT, VDB_EVERSION, VDB_EREADONLY, VDB_EEXIST, VDB_ERANGE};
enum { CODES = sizeof all_codes / sizeof all_codes[0] };

Test(errors, codes_have_their_documented_values)
{
    cr_expect_eq(VDB_OK, 0);
    cr_expect_eq(VDB_EINVAL, -1);
    cr_expect_eq(VDB_EDIM, -2);
    cr_expect_eq(VDB_ENOMEM, -3);
    cr_expect_eq(VDB_EIO, -4);
    cr_expect_eq(VDB_EFORMAT, -5);
    cr_expect_eq(VDB_EVERSION, -6);
    cr_expect_eq(VDB_EREADONLY, -7);
    cr_expect_eq(VDB_EEXIST, -8);
    cr_expect_eq(VDB_ERANGE, -9);
}

Test(errors, strerror_gives_distinct_nonempty_text_for_every_code)
{
    const char *texts[CODES + 1];
    for (int i = 0; i < CODES; i++) {
        texts[i] = vdb_strerror(all_codes[i]);
        cr_assert_not_null(texts[i], "code %d", all_codes[i]);
        cr_expect_gt(strlen(texts[i]), 0u, "code %d", all_codes[i]);
    }
    texts[CODES] = vdb_strerror(-1000);
    cr_assert_not_null(texts[CODES], "unknown code");
    for (int i = 0; i <= CODES; i++)
        for (int j = i + 1; j <= CODES; j++)
            cr_expect_neq(strcmp(texts[i], texts[j]), 0, "codes %d and %d share '%s'", i, j, texts[i]);
}

Test(errors, strerror_never_null_for_unknown_codes)
{
    int unknown[] = {1, 2, -10, -11, 12345, -12345, 2147483647, -2147483647 - 1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *text = vdb_strerror(unknown[i]);
        cr_assert_not_null(text, "code %d", unknown[i]);
        cr_expect_gt(strlen(text), 0u);
    }
}

Test(errors, last_error_is_no_error_before_any_failure)
{
    cr_assert_not_null(vdb_last_error());
    cr_expect_str_eq(vdb_last_error(), "no error");
}

Test(errors, last_error_names_both_dimensions_of_a_mismatch)
{
    char *dir = tu_temp_dir(), *path = tu_path(dir, "v.npy");
    float *rows = tu_uniform(10, 128, 1);
    cr_assert_eq(tu_write_npy(path, rows, 10, 128), 0);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 384;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_map_vectors(&index, path, &cfg), VDB_EDIM);
    const char *message = vdb_last_error();
    cr_assert_not_null(message);
    cr_expect_not_null(strstr(message, "384"), "'%s' lacks 384", message);
    cr_expect_not_null(strstr(message, "128"), "'%s' lacks 128", message);
    free(rows);
    free(path);
    tu_remove_dir(dir);
}

Test(errors, last_error_names_a_missing_path)
{
    const char *path = "/tmp/vdb-test-this-file-does-not-exist-4711.vdb";
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_DEFAULT), VDB_EIO);
    cr_expect_not_null(strstr(vdb_last_error(), path), "'%s' does not name the path", vdb_last_error());
    cr_assert_eq(vdb_verify(path), VDB_EIO);
    cr_expect_not_null(strstr(vdb_last_error(), path), "'%s' does not name the path", vdb_last_error());
}

Test(errors, last_error_mentions_the_bad_config_value)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 70000;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_EINVAL);
    cr_expect_not_null(strstr(vdb_last_error(), "70000"), "'%s'", vdb_last_error());
}

Test(errors, success_does_not_clear_last_error)
{
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, NULL), VDB_EINVAL);
    char before[512];
    snprintf(before, sizeof before, "%s", vdb_last_error());
    cr_expect_str_neq(before, "no error");
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 3;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK);
    cr_expect_str_eq(vdb_last_error(), before);
    vdb_close(index);
}

static void *fail_in_thread(void *arg)
{
    (void)arg;
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 99999;
    vdb_index *index = NULL;
    int code = vdb_create(&index, &cfg);
    return strstr(vdb_last_error(), "99999") && code == VDB_EINVAL ? (void *)1 : NULL;
}

Test(errors, last_error_is_per_thread)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = 77777;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_EINVAL);
    pthread_t thread;
    void *ok = NULL;
    cr_assert_eq(pthread_create(&thread, NULL, fail_in_thread, NULL), 0);
    cr_assert_eq(pthread_join(thread, &ok), 0);
    cr_expect_not_null(ok, "the other thread did not see its own message");
    cr_expect_not_null(strstr(vdb_last_error(), "77777"), "this thread's message changed to '%s'", vdb_last_error());
    cr_expect_null(strstr(vdb_last_error(), "99999"));
}

Test(version, number_matches_the_header)
{
    cr_expect_eq(vdb_version_number(), (uint32_t)VDB_VERSION_NUMBER);
    cr_expect_eq(VDB_VERSION_NUMBER, VDB_VERSION_MAJOR * 10000 + VDB_VERSION_MINOR * 100 + VDB_VERSION_PATCH);
    cr_expect_eq(vdb_version_number(), 200u);
}

Test(version, string_is_0_2_0)
{
    cr_assert_not_null(vdb_version_string());
    cr_expect_str_eq(vdb_version_string(), "0.2.0");
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", VDB_VERSION_MAJOR, VDB_VERSION_MINOR, VDB_VERSION_PATCH);
    cr_expect_str_eq(vdb_version_string(), expected);
}
