/*
 * The temporary file a save writes beside its target and then renames over
 * it. Three things make it safe to leave to users' machines:
 *
 * - A crash leaves nothing behind where the file system allows: the file is
 *   created unnamed (O_TMPFILE) and gets a name only just before the rename.
 *   Elsewhere it is named from the start.
 * - A temporary some crashed save did leave is removed by the next save to
 *   the same target. Its name says which target it belongs to, and a save
 *   holds a lock on its temporary for as long as the temporary has a name,
 *   so one that can be locked was left by a process that is gone.
 * - The name has a fixed length, whatever the target's: a target whose name
 *   is NAME_MAX bytes long still saves.
 *
 * The new file gets the mode of the file it replaces, or for a new target
 * what open(..., 0666) gets under the umask.
 */
#ifndef VDB_FILE_SAVE_TEMP_H
#define VDB_FILE_SAVE_TEMP_H

typedef struct {
    int fd;       /* open for writing, and locked while the file has a name */
    char *folder; /* the target's folder */
    char *name;   /* the temporary's path once it has one, else NULL */
} vdb_save_temp;

/* Remove temporaries of `path` left by saves that did not finish. Best effort: it never fails a save. */
void vdb_save_temp_clean(const char *path);

/* Create the temporary for a save to `path`; VDB_EIO (or VDB_ENOMEM) with a message naming path. */
int vdb_save_temp_create(vdb_save_temp *temp, const char *path);

/* The same, named from the start, as on file systems without O_TMPFILE (tests call it directly). */
int vdb_save_temp_create_named(vdb_save_temp *temp, const char *path);

/*
 * Rename the written and flushed temporary over `path`, then flush the
 * folder; on failure errno says why and the temporary stays.
 */
int vdb_save_temp_replace(vdb_save_temp *temp, const char *path);

/* Close the temporary, removing it if it still has a name. */
void vdb_save_temp_close(vdb_save_temp *temp);

#endif
