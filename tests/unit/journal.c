/*
 * The journal file on its own, below the index: what a replay applies after
 * commits, a crash's torn tail, a cut at every byte of the last commit, a
 * flipped byte, a checkpoint interrupted between its rename and the reset,
 * and the one-writer lock.
 */
#include "file/journal.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const vdb_journal_base BASE = {0x12345678u, 40960};

/* What a replay applied: each record's type and first payload byte, in order. */
typedef struct {
    int count;
    int types[64];
    int firsts[64];
} applied;

static int remember(void *context, vdb_record_type type, const unsigned char *payload, uint64_t length)
{
    applied *seen = context;
    cr_assert_lt(seen->count, 64);
    seen->types[seen->count] = (int)type;
    seen->firsts[seen->count] = length ? payload[0] : -1;
    seen->count++;
    return VDB_OK;
}

typedef struct {
    char *dir, *index, *journal;
} paths;

static paths make_paths(void)
{
    paths p = {tu_temp_dir(), NULL, NULL};
    p.index = tu_path(p.dir, "index.vdb");
    p.journal = tu_path(p.dir, "index.vdb-journal");
    return p;
}

static void free_paths(paths *p)
{
    free(p->index);
    free(p->journal);
    tu_remove_dir(p->dir);
}

/* Records "1" (ADD), "2" (DELETE) | commit | "3" (UPSERT) | commit | "4" (ADD), not committed. */
static void write_three_groups(const paths *p)
{
    vdb_journal journal;
    cr_assert_eq(vdb_journal_open_writer(&journal, p->index, BASE), VDB_OK, "%s", vdb_last_error());
    unsigned char payload[24];
    memset(payload, 1, sizeof payload);
    cr_assert_eq(vdb_journal_append(&journal, VDB_RECORD_ADD, payload, sizeof payload), VDB_OK);
    payload[0] = 2;
    cr_assert_eq(vdb_journal_append(&journal, VDB_RECORD_DELETE, payload, 5), VDB_OK);
    cr_assert_eq(vdb_journal_commit(&journal), VDB_OK);
    payload[0] = 3;
    cr_assert_eq(vdb_journal_append(&journal, VDB_RECORD_UPSERT, payload, 17), VDB_OK);
    cr_assert_eq(vdb_journal_commit(&journal), VDB_OK);
    payload[0] = 4;
    cr_assert_eq(vdb_journal_append(&journal, VDB_RECORD_ADD, payload, 8), VDB_OK);
    vdb_journal_close(&journal);
}

static int replay(const paths *p, vdb_journal_base base, int keep_intact, applied *seen)
{
    vdb_journal journal;
    int found = 0;
    cr_assert_eq(vdb_journal_open_reader(&journal, p->index, &found), VDB_OK, "%s", vdb_last_error());
    if (!found)
        return VDB_OK;
    *seen = (applied){0};
    int code = vdb_journal_replay(&journal, base, keep_intact, remember, seen);
    vdb_journal_close(&journal);
    return code;
}

Test(journal, a_replay_applies_the_committed_records_in_order_and_not_the_tail)
{
    paths p = make_paths();
    write_three_groups(&p);
    applied seen;
    cr_assert_eq(replay(&p, BASE, 0, &seen), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(seen.count, 3);
    cr_expect_arr_eq(seen.types, ((int[]){VDB_RECORD_ADD, VDB_RECORD_DELETE, VDB_RECORD_UPSERT}), 3 * sizeof(int));
    cr_expect_arr_eq(seen.firsts, ((int[]){1, 2, 3}), 3 * sizeof(int));
    free_paths(&p);
}

Test(journal, a_journal_cut_at_any_byte_of_its_last_commit_gives_the_commit_before)
{
    paths p = make_paths();
    write_three_groups(&p);
    size_t length;
    unsigned char *whole = tu_read_file(p.journal, &length);
    cr_assert_not_null(whole);
    /* Find where the second group starts: the length after one commit, from a journal with only that. */
    applied seen;
    for (size_t cut = 0; cut < length; cut++) {
        FILE *file = fopen(p.journal, "wb");
        cr_assert_not_null(file);
        cr_assert_eq(fwrite(whole, 1, cut, file), cut);
        fclose(file);
        cr_assert_eq(replay(&p, BASE, 0, &seen), VDB_OK, "cut at %zu: %s", cut, vdb_last_error());
        /* Each cut keeps whole commits only: none, the first (2 records), or both (3). */
        cr_expect(seen.count == 0 || seen.count == 2 || seen.count == 3, "cut at %zu applied %d records", cut,
                  seen.count);
        if (seen.count >= 2)
            cr_expect_arr_eq(seen.firsts, ((int[]){1, 2}), 2 * sizeof(int));
    }
    free(whole);
    free_paths(&p);
}

Test(journal, a_flipped_byte_in_a_committed_record_is_refused_and_the_commits_before_kept_on_request)
{
    paths p = make_paths();
    write_three_groups(&p);
    size_t length;
    unsigned char *bytes = tu_read_file(p.journal, &length);
    cr_assert_not_null(bytes);
    /* The UPSERT record of the second commit carries seventeen 3s after its first byte 3; flip one. */
    size_t at = 0;
    for (size_t i = 0; i + 17 <= length && !at; i++)
        if (bytes[i] == 3 && bytes[i + 1] == 1 && bytes[i + 16] == 1)
            at = i + 8;
    cr_assert_neq(at, 0u, "no UPSERT payload found");
    bytes[at] ^= 0x20;
    FILE *file = fopen(p.journal, "wb");
    fwrite(bytes, 1, length, file);
    fclose(file);
    applied seen;
    cr_expect_eq(replay(&p, BASE, 0, &seen), VDB_EFORMAT, "a damaged commit was applied");
    cr_expect_not_null(strstr(vdb_last_error(), "commit 2"), "'%s' does not name the commit", vdb_last_error());
    cr_expect_not_null(strstr(vdb_last_error(), p.journal), "'%s' does not name the journal", vdb_last_error());
    cr_assert_eq(replay(&p, BASE, 1, &seen), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(seen.count, 2, "keeping the intact commits applied %d records, not the first commit's 2", seen.count);
    free(bytes);
    free_paths(&p);
}

Test(journal, a_second_writer_is_busy_and_readers_are_not_blocked)
{
    paths p = make_paths();
    vdb_journal writer, second, reader;
    cr_assert_eq(vdb_journal_open_writer(&writer, p.index, BASE), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(vdb_journal_open_writer(&second, p.index, BASE), VDB_EBUSY);
    cr_expect_not_null(strstr(vdb_last_error(), p.index), "'%s' does not name the index", vdb_last_error());
    int found = 0;
    cr_assert_eq(vdb_journal_open_reader(&reader, p.index, &found), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(found, 1);
    vdb_journal_close(&reader);
    vdb_journal_close(&writer);
    cr_expect_eq(vdb_journal_open_writer(&second, p.index, BASE), VDB_OK, "the lock outlived its writer");
    vdb_journal_close(&second);
    free_paths(&p);
}

Test(journal, a_checkpoint_interrupted_after_its_rename_applies_nothing_twice)
{
    paths p = make_paths();
    write_three_groups(&p);
    const vdb_journal_base replacement = {0x9abcdef0u, 49152};
    vdb_journal journal;
    cr_assert_eq(vdb_journal_open_writer(&journal, p.index, BASE), VDB_OK, "%s", vdb_last_error());
    applied seen = {0};
    cr_assert_eq(vdb_journal_replay(&journal, BASE, 0, remember, &seen), VDB_OK);
    cr_assert_eq(vdb_journal_drop_uncommitted(&journal), VDB_OK);
    cr_assert_eq(vdb_journal_mark_checkpoint(&journal, replacement), VDB_OK, "%s", vdb_last_error());
    vdb_journal_close(&journal); /* the crash: the new file is in place, the journal not yet emptied */

    cr_assert_eq(replay(&p, replacement, 0, &seen), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(seen.count, 0, "the replacement file got the changes it holds again");
    cr_assert_eq(replay(&p, BASE, 0, &seen), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(seen.count, 3, "the old file (the rename did not happen) lost its commits");
    const vdb_journal_base stranger = {0x0badf00du, 8192};
    cr_expect_eq(replay(&p, stranger, 0, &seen), VDB_EFORMAT, "a journal was applied to a file it does not extend");
    free_paths(&p);
}

Test(journal, a_reset_empties_it_for_the_new_file)
{
    paths p = make_paths();
    write_three_groups(&p);
    const vdb_journal_base replacement = {0x9abcdef0u, 49152};
    vdb_journal journal;
    cr_assert_eq(vdb_journal_open_writer(&journal, p.index, BASE), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_journal_reset(&journal, replacement), VDB_OK, "%s", vdb_last_error());
    vdb_journal_close(&journal);
    applied seen;
    cr_assert_eq(replay(&p, replacement, 0, &seen), VDB_OK, "%s", vdb_last_error());
    cr_expect_eq(seen.count, 0);
    free_paths(&p);
}

Test(journal, an_index_name_with_no_room_for_the_suffix_is_einval)
{
    char name[256], *path = NULL;
    memset(name, 'n', 250);
    name[250] = '\0';
    cr_expect_eq(vdb_journal_path(name, &path), VDB_EINVAL);
    cr_expect_null(path);
    name[247] = '\0';
    cr_assert_eq(vdb_journal_path(name, &path), VDB_OK);
    cr_expect_eq(path[0], '/', "a journal's path is absolute: '%s'", path);
    cr_expect_eq(strlen(strrchr(path, '/') + 1), 255u);
    free(path);
}
