/*
 * Changing an index file, shared by `vdb add`, `vdb upsert` and `vdb delete`:
 * lock it against other vdb commands changing it, check that the change can
 * be saved before doing any work, open it writable (checked whole first, so
 * a corrupt file is never rewritten with fresh checksums; with the committed
 * changes of its journal applied, and VDB_EBUSY if another program holds it
 * writable), and save the change atomically over it (libvdb writes a new
 * file and renames it over the old one: a checkpoint, which empties the
 * journal) or to another file.
 */
#ifndef VDB_CLI_INDEX_EDIT_H
#define VDB_CLI_INDEX_EDIT_H

#include "vdb.h"

#include <sys/types.h>

typedef struct index_edit {
    const char *path;   /* INDEX as given */
    const char *output; /* --output FILE, or NULL to save in place */
    char *target;       /* the file opened, which a save in place replaces: path, or the file a symlink names
                           (malloc'ed) */
    int lock_fd;        /* the open file holding the lock; -1 when none */
    mode_t mode;        /* INDEX's permission bits, which a save in place keeps */
    vdb_index *index;   /* opened writable */
} index_edit;

/*
 * Lock and open `path` for a change; `output` NULL saves in place. `recover`
 * (--recover) opens with VDB_OPEN_RECOVER: the intact commits of a damaged
 * journal are applied and the journal is cut after them, for good, whatever
 * the command does next. 0, or -1 with the problem printed as
 * "vdb <cmd>: ..." (nothing is held then).
 */
int index_edit_open(const char *cmd, const char *path, const char *output, int recover, index_edit *edit);

/* The path a save writes: --output, or INDEX itself. */
const char *index_edit_destination(const index_edit *edit);

/* Save the changed index. 0, or -1 with the problem printed; the file saved over is then as it was. */
int index_edit_save(const char *cmd, index_edit *edit);

/* Close the index and release the lock. Safe on a zeroed or failed edit. */
void index_edit_close(index_edit *edit);

#endif
