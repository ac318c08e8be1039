/*
 * A full disk while a writable index changes, commits and checkpoints: the
 * file size limit (EFBIG) on any machine, and a real full file system where
 * tests/full_disk.sh mounts one.
 */
#include "durable_model.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* A file size limit just past the journal's length: writes past it fail with EFBIG. */
static void limit_file_size(long bytes)
{
    struct rlimit limit;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &limit), 0);
    limit.rlim_cur = bytes < 0 ? limit.rlim_max : (rlim_t)bytes;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
}

Test(full_disk, a_full_disk_refuses_the_change_or_the_commit_and_work_goes_on_after)
{
    signal(SIGXFSZ, SIG_IGN);
    fixture f = make_fixture();
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 7);
    vdb_index *index = open_index(f.path, VDB_OPEN_WRITABLE);
    make_changes(index, &m, &rng, 5);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    model committed = m;

    /* A change that does not fit is refused whole, and the index is as it was. */
    limit_file_size(file_size(f.journal) + 8);
    change c = next_change(&rng, &m);
    while (c.n == 0 || c.kind == OP_DELETE)
        c = next_change(&rng, &m);
    int code = apply_change(index, &c);
    cr_expect_eq(code, VDB_ENOSPC, "a change past the size limit: %s", vdb_strerror(code));
    m = committed;
    expect_matches(index, &m, "after a refused change");
    /* ... and leaves nothing half-reserved that a later add would pick up. */
    limit_file_size(-1);
    do
        c = next_change(&rng, &m);
    while (c.n == 0 || c.kind != OP_ADD);
    cr_assert_eq(apply_change(index, &c), VDB_OK, "%s", vdb_last_error());
    expect_matches(index, &m, "an add after a refused change");

    /* A commit record that does not fit: the commit fails, and goes through once there is room. */
    make_changes(index, &m, &rng, 3);
    limit_file_size(file_size(f.journal) + 8);
    code = vdb_commit(index);
    cr_expect_eq(code, VDB_ENOSPC, "a commit past the size limit: %s", vdb_strerror(code));
    limit_file_size(-1);
    cr_expect_eq(vdb_commit(index), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &m, "after the commit that went through");
    vdb_close(index);

    /* A checkpoint that does not fit leaves the file and the journal as they were. */
    index = open_index(f.path, VDB_OPEN_WRITABLE);
    make_changes(index, &m, &rng, 3);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    limit_file_size(file_size(f.path) / 2);
    code = vdb_save(index, f.path);
    cr_expect_eq(code, VDB_ENOSPC, "a checkpoint past the size limit: %s", vdb_strerror(code));
    limit_file_size(-1);
    cr_expect_eq(vdb_verify(f.path), VDB_OK, "%s", vdb_last_error());
    vdb_index *reader = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(reader, &m, "after a failed checkpoint");
    vdb_close(reader);
    cr_expect_eq(vdb_save(index, f.path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &m, "after the checkpoint that went through");
    vdb_close(index);
    free_fixture(&f);
}

/* Fill the file system holding `dir` with one file; returns its path. */
static char *fill_file_system(const char *dir)
{
    char *ballast = tu_path(dir, "ballast");
    FILE *file = fopen(ballast, "wb");
    cr_assert_not_null(file);
    static const unsigned char block[4096];
    while (fwrite(block, 1, sizeof block, file) == sizeof block)
        ;
    fclose(file);
    for (int byte = 0; byte < 4096; byte++) { /* the last partial page too */
        file = fopen(ballast, "ab");
        int full = !file || fputc(0, file) == EOF;
        if (file)
            full |= fclose(file) != 0;
        if (full)
            break;
    }
    return ballast;
}

/*
 * A real full disk: VDB_TEST_SMALL_FS names a folder on a small file system
 * (tests/full_disk.sh mounts a 1 MiB tmpfs for it). Without it the test says
 * SKIP; the RLIMIT_FSIZE test above covers the same paths on any machine.
 */
Test(full_disk, a_full_file_system_refuses_changes_commits_and_checkpoints_and_all_goes_on_once_space_is_freed)
{
    const char *small = getenv("VDB_TEST_SMALL_FS");
    if (!small) {
        /* stderr, not cr_log_warn: Criterion's exit status counts a warning as a failure */
        fprintf(stderr,
                "full_disk: SKIP the real full disk: VDB_TEST_SMALL_FS is not set (tests/full_disk.sh sets it)\n");
        return;
    }
    char *path = tu_path(small, "i.vdb");
    fixture f = make_fixture();
    size_t length;
    unsigned char *bytes = tu_read_file(f.path, &length);
    cr_assert_eq(tu_write_file(path, bytes, length), 0, "cannot write to %s", small);
    free(bytes);
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 8);
    vdb_index *index = open_index(path, VDB_OPEN_WRITABLE);
    make_changes(index, &m, &rng, 5);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    model committed = m;
    char *ballast = fill_file_system(small);

    /* Changes go in until the journal's last page is full; the one that does not fit changes nothing. */
    int code = VDB_OK;
    for (int i = 0; i < 10000 && code == VDB_OK; i++) {
        model before = m;
        change c = next_change(&rng, &m);
        if ((code = apply_change(index, &c)) != VDB_OK)
            m = before;
    }
    cr_expect_eq(code, VDB_ENOSPC, "a change on a full disk: %s", vdb_strerror(code));
    expect_matches(index, &m, "after the change that did not fit");
    code = vdb_commit(index);
    cr_expect(code == VDB_OK || code == VDB_ENOSPC, "a commit on a full disk: %s", vdb_strerror(code));
    if (code == VDB_OK)
        committed = m;
    code = vdb_save(index, path);
    cr_expect_eq(code, VDB_ENOSPC, "a checkpoint on a full disk: %s", vdb_strerror(code));
    cr_expect_eq(vdb_verify(path), VDB_OK, "%s", vdb_last_error());
    vdb_index *reader = open_index(path, VDB_OPEN_DEFAULT);
    expect_matches(reader, &committed, "a reader while the disk is full");
    vdb_close(reader);

    cr_assert_eq(unlink(ballast), 0);
    cr_expect_eq(vdb_commit(index), VDB_OK, "%s", vdb_last_error());
    make_changes(index, &m, &rng, 5);
    cr_expect_eq(vdb_save(index, path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    index = open_index(path, VDB_OPEN_DEFAULT);
    expect_matches(index, &m, "once space was freed");
    vdb_close(index);
    char *journal = tu_path(small, "i.vdb-journal");
    unlink(journal);
    unlink(path);
    free(journal);
    free(ballast);
    free(path);
    free_fixture(&f);
}
