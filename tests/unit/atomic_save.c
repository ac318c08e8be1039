/*
 * A save that cannot complete leaves the old file intact and no temporary
 * file behind: a full disk (RLIMIT_FSIZE), a read-only folder, a missing
 * folder. Criterion runs each test in its own process, so the limits and the
 * dropped privileges end with the test.
 */
#define _DEFAULT_SOURCE /* setgroups */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DIM = 32, OLD_COUNT = 200, NEW_COUNT = 6000 };

typedef struct {
    char *dir;
    char *path;
    vdb_index *bigger; /* an index whose file would replace the old one */
} fixture;

static vdb_index *build(uint64_t n, uint64_t seed)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.ef_construction = 40;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    float *v = tu_uniform(n, DIM, seed);
    cr_assert_eq(vdb_add(index, v, n, NULL), VDB_OK, "%s", vdb_last_error());
    free(v);
    return index;
}

/* A folder with a good index of OLD_COUNT vectors at `path`, and a bigger index in memory. */
static fixture setup(void)
{
    fixture f = {tu_temp_dir(), NULL, NULL};
    f.path = tu_path(f.dir, "index.vdb");
    vdb_index *old = build(OLD_COUNT, 1);
    cr_assert_eq(vdb_save(old, f.path), VDB_OK, "%s", vdb_last_error());
    vdb_close(old);
    f.bigger = build(NEW_COUNT, 2);
    return f;
}

static void teardown(fixture *f)
{
    vdb_close(f->bigger);
    free(f->path);
    tu_remove_dir(f->dir);
}

static void expect_old_file_intact(const fixture *f)
{
    cr_expect_eq(vdb_verify(f->path), VDB_OK, "the old file no longer verifies: %s", vdb_last_error());
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, f->path, VDB_OPEN_VERIFY), VDB_OK, "the old file no longer opens: %s",
                 vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)OLD_COUNT, "the old file changed");
    vdb_close(index);
    cr_expect_eq(tu_count_entries(f->dir), 1, "a temporary file was left beside the index");
}

Test(atomic_save, full_disk_is_eio_and_keeps_the_old_file)
{
    fixture f = setup();
    struct stat old;
    cr_assert_eq(stat(f.path, &old), 0);
    /* Room for a file a little bigger than the old one, far less than the new one (about 1 MB). */
    rlim_t limit = (rlim_t)old.st_size + 64 * 1024;
    struct rlimit rl = {limit, limit};
    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    int code = vdb_save(f.bigger, f.path);
    cr_expect_eq(code, VDB_EIO, "save past RLIMIT_FSIZE gave %s", vdb_strerror(code));
    cr_expect_not_null(strstr(vdb_last_error(), f.path), "'%s' does not name the path", vdb_last_error());
    expect_old_file_intact(&f);
    teardown(&f);
}

Test(atomic_save, read_only_folder_is_eio_and_keeps_the_old_file)
{
    fixture f = setup();
    if (geteuid() == 0) {
        /* root ignores permissions: hand the folder to nobody and become nobody. */
        cr_assert_eq(chmod(f.dir, 0755), 0);
        cr_assert_eq(chmod(f.path, 0644), 0);
        cr_assert_eq(chown(f.dir, 65534, 65534), 0);
        cr_assert_eq(chmod(f.dir, 0555), 0);
        cr_assert_eq(setgroups(0, NULL), 0);
        cr_assert_eq(setgid(65534), 0);
        cr_assert_eq(setuid(65534), 0);
        cr_assert_neq(geteuid(), 0u);
    } else {
        cr_assert_eq(chmod(f.dir, 0555), 0);
    }
    int code = vdb_save(f.bigger, f.path);
    cr_expect_eq(code, VDB_EIO, "save into a read-only folder gave %s", vdb_strerror(code));
    cr_expect_not_null(strstr(vdb_last_error(), f.path), "'%s' does not name the path", vdb_last_error());
    expect_old_file_intact(&f);
    teardown(&f); /* the folder is ours (or nobody's, and we are nobody): it can be made writable and removed */
}

Test(atomic_save, missing_folder_is_eio)
{
    fixture f = setup();
    char *path = tu_path(f.dir, "missing/index.vdb");
    int code = vdb_save(f.bigger, path);
    cr_expect_eq(code, VDB_EIO, "save into a missing folder gave %s", vdb_strerror(code));
    cr_expect_eq(tu_count_entries(f.dir), 1);
    free(path);
    teardown(&f);
}

Test(atomic_save, successful_save_leaves_no_temporary_file)
{
    fixture f = setup();
    cr_assert_eq(vdb_save(f.bigger, f.path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(tu_count_entries(f.dir), 1);
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, f.path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)NEW_COUNT);
    vdb_close(index);
    teardown(&f);
}

Test(atomic_save, save_over_a_file_that_is_open_keeps_the_reader_working)
{
    /* Rename-over-replace: an index mapped from the old file keeps its old contents. */
    fixture f = setup();
    vdb_index *reader = NULL;
    cr_assert_eq(vdb_open(&reader, f.path, VDB_OPEN_DEFAULT), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_save(f.bigger, f.path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(reader), (uint64_t)OLD_COUNT);
    float *v = tu_uniform(OLD_COUNT, DIM, 1);
    uint64_t id;
    float d;
    cr_assert_eq(vdb_search(reader, v + 17 * DIM, 1, 64, &id, &d, NULL), VDB_OK);
    cr_expect_eq(id, 17u);
    cr_expect_float_eq(d, 0.0f, 1e-6f);
    free(v);
    vdb_close(reader);
    teardown(&f);
}
