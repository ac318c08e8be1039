/*
 * Opening a saved index with the committed changes its journal holds for
 * it. A writable open locks the journal right after mapping the file; a
 * read-only one takes no lock, so it checks that the file at the path was
 * not replaced by a checkpoint while it read, and starts again if it was.
 */
#include "api/journal_records.h"
#include "file/save_target.h"
#include "util/error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { OPEN_ATTEMPTS = 8 };

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Apply the journal's committed changes for this file; a writer then cuts off the rest. */
static int replay(vdb_index *index, vdb_journal *journal, vdb_journal_base base, uint32_t flags)
{
    int writable = index->writable;
    index->writable = 1; /* the changes go through the checked calls, which refuse a read-only index */
    vdb_replay_target target = {index, journal->path};
    int code = vdb_journal_replay(journal, base, (flags & VDB_OPEN_RECOVER) != 0, vdb_apply_record, &target);
    index->writable = writable;
    if (code == VDB_OK && writable)
        code = vdb_journal_drop_uncommitted(journal);
    return code;
}

/* Hand the journal to a writable index, which closes it. */
static int keep_journal(vdb_index *index, vdb_journal *journal, const struct stat *file)
{
    index->journal = malloc(sizeof *index->journal);
    if (!index->journal)
        return vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", index->path);
    *index->journal = *journal;
    *journal = (vdb_journal){.fd = -1};
    index->file_device = file->st_dev;
    index->file_inode = file->st_ino;
    return VDB_OK;
}

/* One try; *replaced = 1 when the file at path was replaced meanwhile, to try again. */
static int open_once(vdb_index **out, const char *path, uint32_t flags, int *replaced)
{
    *replaced = 0;
    struct stat before, after;
    vdb_index *index = NULL;
    if (stat(path, &before) != 0) {
        int code = vdb_index_open(&index, path, flags); /* says why: a missing path, a folder, ... */
        vdb_index_free(index);
        return code == VDB_OK ? vdb_fail_errno("cannot open index '%s'", path) : code;
    }
    /* The journal belongs to the file, whatever symbolic links lead to it: it is named after the file. */
    char *file;
    int code = vdb_save_target(path, &file);
    if (code != VDB_OK)
        return code;
    /* A read-only open with changes pending needs the links and ids on the heap to make them. */
    vdb_journal journal = {.fd = -1};
    int found = 0;
    if (!(flags & VDB_OPEN_WRITABLE) && (code = vdb_journal_open_reader(&journal, file, &found)) != VDB_OK) {
        free(file);
        return code;
    }
    int pending = found && vdb_journal_has_records(&journal);
    if (pending && (flags & VDB_OPEN_DISK)) {
        vdb_journal_close(&journal);
        free(file);
        return vdb_fail(VDB_EINVAL,
                        "index '%s' has changes in its journal that the file does not hold yet, and a "
                        "disk-resident search reads the file alone: save the index (a checkpoint) first",
                        path);
    }
    code = vdb_index_open(&index, path, pending ? flags | VDB_OPEN_WRITABLE : flags);
    if (code == VDB_OK) {
        index->writable = (flags & VDB_OPEN_WRITABLE) != 0;
        index->path = strdup(path);
        vdb_journal_base base = vdb_journal_base_of(index->file.bytes, index->file.length);
        if (!index->path)
            code = vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", path);
        if (code == VDB_OK && index->writable)
            code = vdb_journal_open_writer(&journal, file, base);
        if (code == VDB_OK && (index->writable || pending))
            code = replay(index, &journal, base, flags);
    }
    if (stat(path, &after) != 0 || !same_file(&before, &after))
        *replaced = 1;
    if (code == VDB_OK && !*replaced && index->writable)
        code = keep_journal(index, &journal, &after);
    vdb_journal_close(&journal);
    free(file);
    if (code != VDB_OK || *replaced) {
        vdb_index_free(index);
        return code;
    }
    *out = index;
    return VDB_OK;
}

int vdb_open(vdb_index **out, const char *path, uint32_t flags)
{
    if (!out || !path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "path" : "out");
    if (flags & ~(uint32_t)(VDB_OPEN_VERIFY | VDB_OPEN_POPULATE | VDB_OPEN_WRITABLE | VDB_OPEN_RECOVER | VDB_OPEN_DISK))
        return vdb_fail(VDB_EINVAL, "unknown open flags 0x%x", flags);
    if ((flags & VDB_OPEN_DISK) && (flags & (VDB_OPEN_WRITABLE | VDB_OPEN_POPULATE)))
        return vdb_fail(VDB_EINVAL,
                        "VDB_OPEN_DISK cannot be combined with VDB_OPEN_%s: a disk-resident index is "
                        "read-only and keeps its node blocks out of memory",
                        flags & VDB_OPEN_WRITABLE ? "WRITABLE" : "POPULATE");
    for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
        int replaced, code = open_once(out, path, flags, &replaced);
        if (!replaced)
            return code;
    }
    return vdb_fail(VDB_EBUSY, "index '%s' was replaced %d times while it was being opened", path, OPEN_ATTEMPTS);
}

int vdb_set_disk_cache(vdb_index *index, uint64_t bytes)
{
    if (!index)
        return vdb_fail(VDB_EINVAL, "index is NULL");
    if (!index->disk)
        return vdb_fail(VDB_EINVAL, "the index was not opened disk-resident (VDB_OPEN_DISK): it has no disk cache");
    int code = vdb_disk_set_cache(index->disk, &index->graph, bytes);
    return code == VDB_ENOMEM
               ? vdb_fail(code, "out of memory for a disk cache of %llu bytes", (unsigned long long)bytes)
               : code;
}
