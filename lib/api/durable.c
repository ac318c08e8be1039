/*
 * Keeping changes: vdb_commit makes a writable index's journal durable, and
 * vdb_save writes a whole file, which over the file a writable index was
 * opened from is a checkpoint: the journal records that the new file holds
 * its changes before the rename makes it the index file, and is emptied
 * after (lib/file/journal.h says why that order is safe at any crash).
 */
#include "api/checks.h"
#include "file/format.h"
#include "file/save_target.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int vdb_commit(vdb_index *index)
{
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    if (index->kind != VDB_INDEX_OPENED)
        return vdb_fail(VDB_EINVAL, "vdb_commit: this index has no index file to commit to; vdb_save it");
    if (!index->journal)
        return vdb_fail(VDB_EREADONLY,
                        "vdb_commit: this index was opened read-only; open it with VDB_OPEN_WRITABLE to change it");
    vdb_journal *journal = index->journal;
    if (journal->length == journal->committed)
        return VDB_OK;
    return vdb_journal_commit(journal);
}

static int mark_checkpoint(void *context, vdb_journal_base written)
{
    vdb_index *index = context;
    int code = vdb_journal_mark_checkpoint(index->journal, written);
    if (code == VDB_EIO && index->journal->broken) {
        char reason[256];
        snprintf(reason, sizeof reason, "%s", vdb_last_error());
        code = vdb_fail(code, "%s; save the index to another path to keep its changes", reason);
    }
    return code;
}

static int reset_journal(void *context, vdb_journal_base written)
{
    vdb_index *index = context;
    return vdb_journal_reset(index->journal, written);
}

/* The file at path is the one the journal extends. */
static int is_own_file(const vdb_index *index, const char *path)
{
    struct stat status;
    return index->journal && stat(path, &status) == 0 && status.st_dev == index->file_device &&
           status.st_ino == index->file_inode;
}

static int checkpoint(const vdb_index *index, const char *path)
{
    vdb_index *mutable = (vdb_index *)index; /* the journal and the file it extends change; the index does not */
    pthread_mutex_lock(&mutable->save_lock);
    vdb_save_hooks hooks = {mark_checkpoint, reset_journal, mutable};
    int code = vdb_index_save(index, path, &hooks);
    /* Whatever failed, if the new file took the path the journal now extends it (and says so). */
    struct stat status;
    if (stat(path, &status) == 0) {
        mutable->file_device = status.st_dev;
        mutable->file_inode = status.st_ino;
    }
    pthread_mutex_unlock(&mutable->save_lock);
    return code;
}

/*
 * Keep writers of the index at `name` off while a save replaces it (the
 * caller closes *journal when *found), and refuse when its journal has
 * records, which the file lacks and the save would drop.
 */
static int lock_out_writers(vdb_journal *journal, const char *name, int *found)
{
    int code = vdb_journal_lock_existing(journal, name, found);
    if (code == VDB_OK && *found && vdb_journal_has_records(journal)) {
        code = vdb_fail(VDB_EBUSY,
                        "index '%s' has changes in its journal '%s' that the file lacks, and a save over it "
                        "would lose them: open it with VDB_OPEN_WRITABLE and save that (a checkpoint), or remove "
                        "the journal",
                        name, journal->path);
        vdb_journal_close(journal);
        *found = 0;
    }
    return code;
}

/* A save over some other file: its writer, if any, is found by the file's own name (symbolic links followed). */
static int save_over(const vdb_index *index, const char *path)
{
    char *file;
    int code = vdb_save_target(path, &file);
    if (code != VDB_OK)
        return code;
    vdb_journal journal;
    int found = 0;
    if ((code = lock_out_writers(&journal, file, &found)) == VDB_OK)
        code = vdb_index_save(index, path, NULL);
    if (found)
        vdb_journal_close(&journal);
    free(file);
    return code;
}

int vdb_save(const vdb_index *index, const char *path)
{
    if (!index || !path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", index ? "path" : "index");
    return is_own_file(index, path) ? checkpoint(index, path) : save_over(index, path);
}
