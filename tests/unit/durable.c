/*
 * Durable changes through the public API: the journal beside a writable
 * index, vdb_commit, checkpoints, and one writer at a time. Every expected
 * state comes from the model (durable_model.h). What survives damage, a
 * full disk and a crash is in journal_damage.c, full_disk.c and crash.c.
 */
#define _DEFAULT_SOURCE /* symlink, lstat */
#include "durable_model.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

Test(durable, committed_changes_survive_a_reopen_and_uncommitted_ones_do_not)
{
    fixture f = make_fixture();
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 1);
    vdb_index *index = open_index(f.path, VDB_OPEN_WRITABLE);
    make_changes(index, &m, &rng, 20);
    cr_assert_eq(vdb_commit(index), VDB_OK, "%s", vdb_last_error());
    model committed = m;
    make_changes(index, &m, &rng, 20);
    expect_matches(index, &m, "before closing");
    vdb_close(index);

    index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &committed, "read-only reopen");
    cr_expect_eq(vdb_add(index, m.rows[0], 1, NULL), VDB_EREADONLY, "a read-only open with a journal took a change");
    vdb_close(index);
    index = open_index(f.path, VDB_OPEN_WRITABLE);
    expect_matches(index, &committed, "writable reopen");
    vdb_close(index);
    cr_expect_eq(vdb_verify(f.path), VDB_OK, "%s", vdb_last_error());
    free_fixture(&f);
}

Test(durable, a_writer_closing_with_nothing_committed_removes_its_journal)
{
    fixture f = make_fixture();
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 9);
    vdb_index *index = open_index(f.path, VDB_OPEN_WRITABLE);
    cr_expect_eq(file_size(f.journal), 64, "a writable open makes its journal");
    make_changes(index, &m, &rng, 5); /* never committed */
    vdb_close(index);
    cr_expect_eq(file_size(f.journal), -1, "an empty journal was left behind");
    m = f.base; /* the changes went with the close */

    index = open_index(f.path, VDB_OPEN_WRITABLE);
    make_changes(index, &m, &rng, 5);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    vdb_close(index);
    cr_expect_gt(file_size(f.journal), 64, "a journal with commits was removed");
    index = open_index(f.path, VDB_OPEN_WRITABLE);
    cr_assert_eq(vdb_save(index, f.path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    cr_expect_eq(file_size(f.journal), -1, "the journal was left behind after a checkpoint and close");
    index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &m, "after the checkpoint");
    vdb_close(index);
    free_fixture(&f);
}

Test(durable, a_second_writer_is_busy_and_readers_are_not_blocked)
{
    fixture f = make_fixture();
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 2);
    vdb_index *writer = open_index(f.path, VDB_OPEN_WRITABLE);
    make_changes(writer, &m, &rng, 10);
    cr_assert_eq(vdb_commit(writer), VDB_OK);

    vdb_index *second = (vdb_index *)&rng;
    cr_expect_eq(vdb_open(&second, f.path, VDB_OPEN_WRITABLE), VDB_EBUSY, "a second writable handle was not busy");
    cr_expect_eq(second, (vdb_index *)&rng, "out was written on failure");
    cr_expect_not_null(strstr(vdb_last_error(), f.path), "'%s' does not name the file", vdb_last_error());
    pid_t child = fork();
    cr_assert_neq(child, -1);
    if (child == 0) {
        vdb_index *other = NULL;
        int busy = vdb_open(&other, f.path, VDB_OPEN_WRITABLE) == VDB_EBUSY;
        char why[256];
        int reader_ok =
            vdb_open(&other, f.path, VDB_OPEN_DEFAULT) == VDB_OK && index_matches(other, &m, why, sizeof why);
        _exit(busy && reader_ok ? 0 : 1);
    }
    int status;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "another process was not refused as a writer, or did not read the committed state");
    vdb_index *reader = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(reader, &m, "a reader beside the writer");
    vdb_close(reader);
    vdb_close(writer);
    vdb_close(open_index(f.path, VDB_OPEN_WRITABLE)); /* the lock went with the writer */
    free_fixture(&f);
}

Test(durable, saving_over_its_own_file_is_a_checkpoint_that_empties_the_journal)
{
    fixture f = make_fixture();
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 3);
    vdb_index *index = open_index(f.path, VDB_OPEN_WRITABLE);
    make_changes(index, &m, &rng, 30);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    make_changes(index, &m, &rng, 5); /* not committed: a checkpoint keeps them too */
    cr_assert_gt(file_size(f.journal), 64);
    cr_assert_eq(vdb_save(index, f.path), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(file_size(f.journal), 64, "the journal holds %ld bytes after a checkpoint", file_size(f.journal));
    cr_expect_eq(vdb_verify(f.path), VDB_OK, "%s", vdb_last_error());

    /* The journal now extends the new file: later commits apply on top of it, and a second checkpoint works. */
    make_changes(index, &m, &rng, 10);
    cr_assert_eq(vdb_commit(index), VDB_OK, "%s", vdb_last_error());
    model committed = m;
    vdb_index *reader = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(reader, &committed, "the new file and the commits after it");
    vdb_close(reader);
    make_changes(index, &m, &rng, 10);
    cr_assert_eq(vdb_save(index, f.path), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &m, "after the second checkpoint");
    vdb_close(index);
    free_fixture(&f);
}

Test(durable, a_checkpoint_through_a_symbolic_link_replaces_its_target_and_keeps_the_link)
{
    fixture f = make_fixture();
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 5);
    char *link = tu_path(f.dir, "link.vdb"), *link_journal = tu_path(f.dir, "link.vdb-journal");
    cr_assert_eq(symlink("i.vdb", link), 0);
    vdb_index *index = open_index(link, VDB_OPEN_WRITABLE);
    make_changes(index, &m, &rng, 20);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    cr_expect_gt(file_size(f.journal), 64, "the journal is not named after the file the link leads to");
    cr_expect_eq(file_size(link_journal), -1, "a journal was named after the link");
    cr_assert_eq(vdb_save(index, link), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(file_size(f.journal), 64, "the journal holds %ld bytes after a checkpoint", file_size(f.journal));
    struct stat status;
    cr_expect(lstat(link, &status) == 0 && S_ISLNK(status.st_mode), "the checkpoint replaced the link");
    vdb_close(index);
    index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &m, "the link's target after the checkpoint");
    vdb_close(index);
    free(link);
    free(link_journal);
    free_fixture(&f);
}

Test(durable, a_save_over_a_file_another_writer_holds_or_with_pending_changes_is_busy)
{
    fixture f = make_fixture();
    model m = f.base;
    tu_rng rng;
    tu_rng_seed(&rng, 4);
    vdb_index *writer = open_index(f.path, VDB_OPEN_WRITABLE);
    make_changes(writer, &m, &rng, 10);
    cr_assert_eq(vdb_commit(writer), VDB_OK);
    vdb_index *reader = open_index(f.path, VDB_OPEN_DEFAULT);
    cr_expect_eq(vdb_save(reader, f.path), VDB_EBUSY, "a save over a file held by a writer");
    vdb_close(writer);
    cr_expect_eq(vdb_save(reader, f.path), VDB_EBUSY, "a save over a file with committed changes in its journal");
    cr_expect_not_null(strstr(vdb_last_error(), f.journal), "'%s' does not name the journal", vdb_last_error());
    vdb_close(reader);
    reader = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(reader, &m, "after the refused saves");
    vdb_close(reader);
    free_fixture(&f);
}

Test(durable, a_save_through_a_symbolic_link_to_a_file_a_writer_holds_is_busy)
{
    fixture f = make_fixture();
    char *link = tu_path(f.dir, "link.vdb");
    cr_assert_eq(symlink("i.vdb", link), 0);
    vdb_index *writer = open_index(f.path, VDB_OPEN_WRITABLE);
    vdb_index *reader = open_index(f.path, VDB_OPEN_DEFAULT);
    cr_expect_eq(vdb_save(reader, link), VDB_EBUSY, "a save through a link to a file held by a writer");
    vdb_close(writer);
    cr_expect_eq(vdb_save(reader, link), VDB_OK, "%s", vdb_last_error());
    vdb_close(reader);
    free(link);
    free_fixture(&f);
}

Test(durable, commit_is_refused_where_there_is_no_journal)
{
    fixture f = make_fixture();
    cr_expect_eq(vdb_commit(NULL), VDB_EINVAL);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    vdb_index *created = NULL;
    cr_assert_eq(vdb_create(&created, &cfg), VDB_OK);
    cr_expect_eq(vdb_commit(created), VDB_EINVAL, "an index with no file");
    vdb_close(created);
    vdb_index *reader = open_index(f.path, VDB_OPEN_DEFAULT);
    cr_expect_eq(vdb_commit(reader), VDB_EREADONLY);
    vdb_close(reader);
    cr_expect_eq(file_size(f.journal), -1, "a read-only open made a journal");
    vdb_index *writer = open_index(f.path, VDB_OPEN_WRITABLE);
    cr_expect_eq(vdb_commit(writer), VDB_OK, "a commit with nothing to commit");
    vdb_close(writer);
    free_fixture(&f);
}
