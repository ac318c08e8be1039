/*
 * A save that cannot complete leaves the old file intact and no temporary
 * file behind: a full disk (RLIMIT_FSIZE), a read-only folder, a missing
 * folder, a kill. What crashed saves of old left, the next save removes. A
 * save keeps the file's mode, works for names up to NAME_MAX, and through a
 * symbolic link replaces the file the link names, leaving the link a link.
 * Criterion runs each test in its own process, so the limits and the
 * dropped privileges end with the test.
 */
#define _DEFAULT_SOURCE /* setgroups */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

Test(atomic_save, a_file_over_the_size_limit_is_enospc_and_keeps_the_old_file)
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
    cr_expect_eq(code, VDB_ENOSPC, "save past RLIMIT_FSIZE gave %s", vdb_strerror(code));
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

/* The name docs/format.md gives a temporary of the target file name `target`: FNV-1a 64 of it, then 8 hex digits. */
static char *temporary_name(const char *dir, const char *target, const char *tag)
{
    uint64_t hash = 0xcbf29ce484222325u;
    for (const char *c = target; *c; c++)
        hash = (hash ^ (unsigned char)*c) * 0x100000001b3u;
    char name[64];
    snprintf(name, sizeof name, ".vdb-%016llx-%s.tmp", (unsigned long long)hash, tag);
    return tu_path(dir, name);
}

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    cr_assert_geq(fd, 0, "cannot create %s", path);
    cr_assert_eq(write(fd, "left over", 9), 9);
    close(fd);
}

Test(atomic_save, a_save_removes_what_crashed_saves_of_the_same_target_left)
{
    fixture f = setup();
    char *left_over = temporary_name(f.dir, "index.vdb", "0badf00d");
    char *in_use = temporary_name(f.dir, "index.vdb", "1badf00d");
    char *other_target = temporary_name(f.dir, "other.vdb", "0badf00d");
    char *lookalike = tu_path(f.dir, "index.vdb.tmp-123456");
    touch(left_over);
    touch(in_use);
    touch(other_target);
    touch(lookalike);
    int held = open(in_use, O_RDONLY); /* as a save still writing it would */
    cr_assert_eq(flock(held, LOCK_EX), 0);

    cr_assert_eq(vdb_save(f.bigger, f.path), VDB_OK, "%s", vdb_last_error());
    cr_expect_neq(access(left_over, F_OK), 0, "a leftover of this target was not removed");
    cr_expect_eq(access(in_use, F_OK), 0, "a temporary another save holds was removed");
    cr_expect_eq(access(other_target, F_OK), 0, "a temporary of another target was removed");
    cr_expect_eq(access(lookalike, F_OK), 0, "a file that only looks like a temporary was removed");
    cr_expect_eq(tu_count_entries(f.dir), 4);
    close(held);
    free(left_over);
    free(in_use);
    free(other_target);
    free(lookalike);
    teardown(&f);
}

Test(atomic_save, saves_killed_at_random_moments_leave_the_old_file_or_the_new_and_nothing_else)
{
    fixture f = setup(); /* the child saves without a pause, so a kill almost always lands inside a save */
    uint64_t state = 12345;
    int killed_inside = 0;
    for (int round = 0; round < 30; round++) {
        pid_t child = fork();
        cr_assert_geq(child, 0);
        if (child == 0) {
            for (;;)
                vdb_save(f.bigger, f.path);
        }
        state = state * 6364136223846793005u + 1442695040888963407u;
        usleep((useconds_t)(1000 + (state >> 33) % 40000));
        kill(child, SIGKILL);
        int status;
        waitpid(child, &status, 0);
        killed_inside += WIFSIGNALED(status);
        cr_assert_eq(vdb_verify(f.path), VDB_OK, "after kill %d: %s", round, vdb_last_error());
    }
    cr_expect_eq(killed_inside, 30);
    int left = tu_count_entries(f.dir);
    cr_assert_eq(vdb_save(f.bigger, f.path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(left, 1, "30 killed saves left %d files beside the index", left - 1);
    cr_expect_eq(tu_count_entries(f.dir), 1, "the next save left files beside the index");
    teardown(&f);
}

static mode_t mode_of(const char *path)
{
    struct stat status;
    cr_assert_eq(stat(path, &status), 0);
    return status.st_mode & 07777;
}

Test(atomic_save, a_save_keeps_the_mode_of_the_file_it_replaces)
{
    fixture f = setup();
    cr_assert_eq(chmod(f.path, 0600), 0);
    cr_assert_eq(vdb_save(f.bigger, f.path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(mode_of(f.path), 0600, "a 0600 index became %04o", mode_of(f.path));
    cr_assert_eq(chmod(f.path, 0664), 0);
    cr_assert_eq(vdb_save(f.bigger, f.path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(mode_of(f.path), 0664, "a 0664 index became %04o", mode_of(f.path));
    teardown(&f);
}

Test(atomic_save, a_new_file_gets_the_mode_the_umask_allows)
{
    fixture f = setup();
    char *path = tu_path(f.dir, "new.vdb");
    umask(027);
    cr_assert_eq(vdb_save(f.bigger, path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(mode_of(path), 0640, "under umask 027 a new index got %04o", mode_of(path));
    free(path);
    teardown(&f);
}

Test(atomic_save, a_target_name_of_255_bytes_saves)
{
    fixture f = setup();
    char name[256];
    memset(name, 'n', 251);
    memcpy(name + 251, ".vdb", 5);
    char *path = tu_path(f.dir, name);
    cr_assert_eq(vdb_save(f.bigger, path), VDB_OK, "%s", vdb_last_error());
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)NEW_COUNT);
    vdb_close(index);
    cr_expect_eq(tu_count_entries(f.dir), 2);
    free(path);
    teardown(&f);
}

/* --- a save through a symbolic link replaces the file it names, not the link --- */

static void expect_link_to(const char *link, const char *text)
{
    struct stat status;
    cr_assert_eq(lstat(link, &status), 0, "%s is gone", link);
    cr_expect(S_ISLNK(status.st_mode), "the save replaced the link %s with a regular file", link);
    char read[256] = {0};
    cr_expect_gt(readlink(link, read, sizeof read - 1), 0);
    cr_expect_str_eq(read, text, "the link %s now points at %s", link, read);
}

static void expect_new_index(const char *path)
{
    vdb_index *index = NULL;
    cr_assert_eq(vdb_open(&index, path, VDB_OPEN_VERIFY), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_count(index), (uint64_t)NEW_COUNT, "%s does not hold the saved index", path);
    vdb_close(index);
}

Test(atomic_save, a_save_through_a_symbolic_link_replaces_its_target_and_keeps_the_link)
{
    fixture f = setup();
    char *link = tu_path(f.dir, "link.vdb");
    cr_assert_eq(symlink("index.vdb", link), 0);
    cr_assert_eq(vdb_save(f.bigger, link), VDB_OK, "%s", vdb_last_error());
    expect_link_to(link, "index.vdb");
    expect_new_index(f.path);
    cr_expect_eq(tu_count_entries(f.dir), 2, "a temporary file was left beside the index");
    free(link);
    teardown(&f);
}

Test(atomic_save, a_save_through_a_symbolic_link_keeps_the_mode_of_its_target)
{
    fixture f = setup();
    char *link = tu_path(f.dir, "link.vdb");
    cr_assert_eq(symlink("index.vdb", link), 0);
    cr_assert_eq(chmod(f.path, 0600), 0);
    cr_assert_eq(vdb_save(f.bigger, link), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(mode_of(f.path), 0600, "a 0600 index saved through a link became %04o", mode_of(f.path));
    free(link);
    teardown(&f);
}

Test(atomic_save, a_relative_link_in_another_folder_is_followed_from_its_own_folder)
{
    fixture f = setup();
    char *links = tu_path(f.dir, "links"), *link = tu_path(links, "index.vdb");
    cr_assert_eq(mkdir(links, 0755), 0);
    cr_assert_eq(symlink("../index.vdb", link), 0);
    cr_assert_eq(vdb_save(f.bigger, link), VDB_OK, "%s", vdb_last_error());
    expect_link_to(link, "../index.vdb");
    expect_new_index(f.path);
    cr_expect_eq(tu_count_entries(links), 1, "the save left a file beside the link");
    cr_expect_eq(tu_count_entries(f.dir), 2, "a temporary file was left beside the index");
    cr_assert_eq(unlink(link), 0);
    cr_assert_eq(rmdir(links), 0); /* tu_remove_dir goes one level deep */
    free(link);
    free(links);
    teardown(&f);
}

Test(atomic_save, a_dangling_link_chain_creates_the_file_it_ends_at)
{
    fixture f = setup();
    char *outer = tu_path(f.dir, "outer.vdb"), *inner = tu_path(f.dir, "inner.vdb"), *end = tu_path(f.dir, "new.vdb");
    cr_assert_eq(symlink("inner.vdb", outer), 0);
    cr_assert_eq(symlink(end, inner), 0); /* an absolute link on the way */
    cr_assert_eq(vdb_save(f.bigger, outer), VDB_OK, "%s", vdb_last_error());
    expect_link_to(outer, "inner.vdb");
    expect_link_to(inner, end);
    expect_new_index(end);
    cr_expect_eq(tu_count_entries(f.dir), 4, "a temporary file was left beside the index");
    free(outer);
    free(inner);
    free(end);
    teardown(&f);
}

Test(atomic_save, a_dangling_link_into_a_missing_folder_is_eio)
{
    fixture f = setup();
    char *link = tu_path(f.dir, "link.vdb");
    cr_assert_eq(symlink("missing/index.vdb", link), 0);
    int code = vdb_save(f.bigger, link);
    cr_expect_eq(code, VDB_EIO, "save through a link into a missing folder gave %s", vdb_strerror(code));
    expect_link_to(link, "missing/index.vdb");
    cr_expect_eq(tu_count_entries(f.dir), 2);
    free(link);
    teardown(&f);
}

Test(atomic_save, a_link_loop_is_eio_and_names_the_path)
{
    fixture f = setup();
    char *a = tu_path(f.dir, "a.vdb"), *b = tu_path(f.dir, "b.vdb");
    cr_assert_eq(symlink("b.vdb", a), 0);
    cr_assert_eq(symlink("a.vdb", b), 0);
    int code = vdb_save(f.bigger, a);
    cr_expect_eq(code, VDB_EIO, "save through a link loop gave %s", vdb_strerror(code));
    cr_expect_not_null(strstr(vdb_last_error(), a), "'%s' does not name the path", vdb_last_error());
    expect_link_to(a, "b.vdb");
    expect_link_to(b, "a.vdb");
    cr_expect_eq(tu_count_entries(f.dir), 3, "the save left a file behind");
    free(a);
    free(b);
    teardown(&f);
}
