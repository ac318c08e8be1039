/*
 * A damaged journal through the public API: cut at every byte of its last
 * commit, a flipped byte in a committed record, a journal of another file.
 */
#include "durable_model.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Two commits; returns the journal's bytes and, in *first_end, its length after the first. */
static unsigned char *two_commits(const fixture *f, model *after_first, model *after_second, size_t *length,
                                  size_t *first_end)
{
    tu_rng rng;
    tu_rng_seed(&rng, 5);
    *after_first = f->base;
    vdb_index *index = open_index(f->path, VDB_OPEN_WRITABLE);
    make_changes(index, after_first, &rng, 8);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    *first_end = (size_t)file_size(f->journal);
    *after_second = *after_first;
    make_changes(index, after_second, &rng, 3);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    vdb_close(index);
    unsigned char *bytes = tu_read_file(f->journal, length);
    cr_assert_not_null(bytes);
    return bytes;
}

Test(journal_damage, a_journal_cut_at_any_byte_of_its_last_commit_opens_as_the_commit_before)
{
    fixture f = make_fixture();
    model first, second;
    size_t length, first_end;
    unsigned char *bytes = two_commits(&f, &first, &second, &length, &first_end);
    for (size_t cut = first_end; cut <= length; cut++) {
        cr_assert_eq(tu_write_file(f.journal, bytes, cut), 0);
        vdb_index *index = open_index(f.path, VDB_OPEN_DEFAULT);
        char when[64];
        snprintf(when, sizeof when, "journal cut at %zu of %zu bytes", cut, length);
        expect_matches(index, cut == length ? &second : &first, when);
        vdb_close(index);
    }
    /* A writable open cuts the torn tail off, and commits after it count. */
    cr_assert_eq(tu_write_file(f.journal, bytes, length - 3), 0);
    vdb_index *index = open_index(f.path, VDB_OPEN_WRITABLE);
    cr_expect_eq(file_size(f.journal), (long)first_end, "the torn tail was not cut off");
    tu_rng rng;
    tu_rng_seed(&rng, 55);
    make_changes(index, &first, &rng, 4);
    cr_assert_eq(vdb_commit(index), VDB_OK);
    vdb_close(index);
    index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &first, "a commit after a torn tail");
    vdb_close(index);
    free(bytes);
    free_fixture(&f);
}

Test(journal_damage, a_flipped_byte_refuses_its_commit_and_recover_keeps_the_ones_before)
{
    fixture f = make_fixture();
    model first, second;
    size_t length, first_end;
    unsigned char *bytes = two_commits(&f, &first, &second, &length, &first_end);
    /* Every 7th byte of the records of the second commit, but its own commit record (a torn tail, not damage). */
    for (size_t at = first_end; at + 24 < length; at += 7) {
        bytes[at] ^= 0x20;
        cr_assert_eq(tu_write_file(f.journal, bytes, length), 0);
        bytes[at] ^= 0x20;
        vdb_index *index = (vdb_index *)&at;
        int code = vdb_open(&index, f.path, VDB_OPEN_DEFAULT);
        cr_expect_eq(code, VDB_EFORMAT, "byte %zu flipped: %s", at, vdb_strerror(code));
        cr_expect_not_null(strstr(vdb_last_error(), "commit 2"), "'%s' does not name the commit", vdb_last_error());
        index = open_index(f.path, VDB_OPEN_RECOVER);
        expect_matches(index, &first, "recovered");
        vdb_close(index);
    }
    /* A writable recovery cuts the damage off for good. */
    bytes[first_end + 3] ^= 1;
    cr_assert_eq(tu_write_file(f.journal, bytes, length), 0);
    vdb_close(open_index(f.path, VDB_OPEN_WRITABLE | VDB_OPEN_RECOVER));
    vdb_index *index = open_index(f.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &first, "after a writable recovery");
    vdb_close(index);
    free(bytes);
    free_fixture(&f);
}

Test(journal_damage, a_journal_of_another_file_is_refused)
{
    fixture f = make_fixture();
    model first, second;
    size_t length, first_end;
    unsigned char *bytes = two_commits(&f, &first, &second, &length, &first_end);
    fixture other = make_fixture();
    vdb_index *index = open_index(other.path, VDB_OPEN_WRITABLE);
    tu_rng rng;
    tu_rng_seed(&rng, 6);
    model m = other.base;
    make_changes(index, &m, &rng, 1); /* the other file is made different */
    cr_assert_eq(vdb_save(index, other.path), VDB_OK);
    vdb_close(index);
    cr_assert_eq(tu_write_file(other.journal, bytes, length), 0);
    index = (vdb_index *)&rng;
    cr_expect_eq(vdb_open(&index, other.path, VDB_OPEN_DEFAULT), VDB_EFORMAT);
    cr_expect_not_null(strstr(vdb_last_error(), "another version"), "%s", vdb_last_error());
    cr_assert_eq(unlink(other.journal), 0);
    index = open_index(other.path, VDB_OPEN_DEFAULT);
    expect_matches(index, &m, "without the foreign journal");
    vdb_close(index);
    free(bytes);
    free_fixture(&other);
    free_fixture(&f);
}
