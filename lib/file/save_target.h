/*
 * Where a save writes. A save follows a symbolic link at `path`, as editors
 * do: it replaces the file the link (chain) finally names and leaves the
 * link a link. Renaming over the link itself would turn it into a regular
 * file and silently cut the user's link. The temporary then goes beside the
 * real file, so the rename stays within one folder and atomic.
 */
#ifndef VDB_FILE_SAVE_TARGET_H
#define VDB_FILE_SAVE_TARGET_H

/*
 * *target (malloc'd): a copy of `path` when it is no link, else where the
 * link finally leads, which may be a name not yet created (a dangling link,
 * whose target the save creates). VDB_OK, VDB_EIO with a message naming path
 * (a link loop: ELOOP), VDB_ENOMEM.
 */
int vdb_save_target(const char *path, char **target);

#endif
