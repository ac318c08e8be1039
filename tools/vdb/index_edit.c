/*
 * The lock is flock(2) on INDEX itself. A save replaces INDEX by rename, so a
 * command that waited for the lock may hold it on the old, now nameless file:
 * after locking it checks that the name still leads to the file it locked,
 * and starts again if not. Without that, two `vdb add` runs at once would
 * each save its own change over the original and one change would be lost.
 * Commands that only read (search, info, bench) need no lock: they see
 * either the old file or the new one, never a mix.
 *
 * libvdb keeps its own lock besides: a writable open locks the journal beside
 * the file, INDEX-journal, so a program that holds INDEX open writable (and
 * may commit changes to that journal) makes the open fail with VDB_EBUSY.
 * The file is opened by the name of the file itself, not of a symlink to it,
 * so that its journal, and that lock, are the same whatever name the command
 * is given. A save in place is then a checkpoint: the new file holds the
 * journal's committed changes too, and the journal is emptied.
 */
#include "index_edit.h"

#include "cli_args.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A save is a new file in the destination's folder renamed over it: that folder must take a new file. */
static int check_folder_writable(const char *cmd, const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        cli_error(cmd, "out of memory");
        return -1;
    }
    const char *folder = dirname(copy);
    int ok = access(folder, W_OK | X_OK) == 0;
    if (!ok)
        cli_error(cmd, "cannot save '%s': folder '%s': %s; nothing was changed", path, folder, strerror(errno));
    free(copy);
    return ok ? 0 : -1;
}

/* Open and lock `path`, making sure the lock is on the file the name leads to now. */
static int lock_index(const char *cmd, const char *path, index_edit *edit, struct stat *locked)
{
    enum { MAX_TRIES = 100 };
    for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            cli_error(cmd, "cannot open index '%s': %s", path, strerror(errno));
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                cli_error(cmd, "waiting for another vdb command that is changing '%s'...", path);
                while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
                    ;
            } else {
                /* Some network file systems have no locks: go on, as any program without them would. */
                cli_error(cmd, "warning: cannot lock '%s' (%s); do not change it from two commands at once", path,
                          strerror(errno));
            }
        }
        struct stat now;
        if (fstat(fd, locked) != 0 || stat(path, &now) != 0) {
            cli_error(cmd, "cannot open index '%s': %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (now.st_dev == locked->st_dev && now.st_ino == locked->st_ino) {
            edit->lock_fd = fd;
            return 0;
        }
        close(fd); /* another command saved a new file meanwhile: lock that one */
    }
    cli_error(cmd, "'%s' keeps being replaced by other commands; try again", path);
    return -1;
}

int index_edit_open(const char *cmd, const char *path, const char *output, int recover, index_edit *edit)
{
    memset(edit, 0, sizeof *edit);
    edit->lock_fd = -1;
    edit->path = path;
    edit->output = output;
    struct stat st, out_st;
    if (lock_index(cmd, path, edit, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        cli_error(cmd, "cannot open index '%s': it is a directory", path);
        index_edit_close(edit);
        return -1;
    }
    /* --output naming INDEX itself (by any name) is a save in place. */
    if (output && stat(output, &out_st) == 0) {
        if (out_st.st_dev == st.st_dev && out_st.st_ino == st.st_ino)
            edit->output = NULL;
        else if (S_ISDIR(out_st.st_mode)) {
            cli_error(cmd, "cannot save to '%s': it is a directory", output);
            index_edit_close(edit);
            return -1;
        }
    }
    if (edit->output) {
        if (check_folder_writable(cmd, edit->output) != 0) {
            index_edit_close(edit);
            return -1;
        }
    }
    /* Saving through a symlink must replace the file it names, not the link; and libvdb's journal is beside it. */
    struct stat link_st;
    int is_link = lstat(path, &link_st) == 0 && S_ISLNK(link_st.st_mode);
    edit->target = is_link ? realpath(path, NULL) : strdup(path);
    if (!edit->target) {
        cli_error(cmd, "cannot resolve '%s': %s", path, strerror(errno));
        index_edit_close(edit);
        return -1;
    }
    if (!edit->output) {
        edit->mode = st.st_mode & 07777;
        if (access(edit->target, W_OK) != 0) {
            cli_error(cmd, "'%s' is not writable (%s); nothing was changed (--output FILE saves elsewhere)", path,
                      strerror(errno));
            index_edit_close(edit);
            return -1;
        }
        if (check_folder_writable(cmd, edit->target) != 0) {
            index_edit_close(edit);
            return -1;
        }
    }
    uint32_t flags = VDB_OPEN_WRITABLE | VDB_OPEN_VERIFY | (recover ? VDB_OPEN_RECOVER : 0);
    int rc = vdb_open(&edit->index, edit->target, flags);
    if (rc != VDB_OK) {
        edit->index = NULL;
        cli_file_error(cmd, rc, "cannot open index", path);
        if (rc == VDB_EBUSY)
            cli_error(cmd, "nothing was changed; try again once the program changing '%s' has closed it", path);
        index_edit_close(edit);
        return -1;
    }
    return 0;
}

const char *index_edit_destination(const index_edit *edit) { return edit->output ? edit->output : edit->path; }

int index_edit_save(const char *cmd, index_edit *edit)
{
    const char *destination = edit->output ? edit->output : edit->target;
    int rc = vdb_save(edit->index, destination);
    if (rc != VDB_OK) {
        cli_file_error(cmd, rc, "cannot save", destination);
        if (edit->output)
            cli_error(cmd, "nothing was saved; '%s' is unchanged", edit->path);
        else
            cli_error(cmd, "nothing was changed; '%s' is as it was", edit->path);
        return -1;
    }
    /* libvdb makes every new file 0644: keep the permissions the user gave the file it replaced. */
    if (!edit->output && edit->mode != 0644 && chmod(destination, edit->mode) != 0)
        cli_error(cmd, "warning: saved, but cannot restore mode %04o on '%s': %s", (unsigned)edit->mode, destination,
                  strerror(errno));
    return 0;
}

void index_edit_close(index_edit *edit)
{
    vdb_close(edit->index);
    edit->index = NULL;
    if (edit->lock_fd >= 0)
        close(edit->lock_fd);
    edit->lock_fd = -1;
    free(edit->target);
    edit->target = NULL;
}
