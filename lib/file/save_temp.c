/*
 * A temporary is named ".vdb-<target>-<random>.tmp" in the target's folder,
 * where <target> is 16 hex digits of a hash of the target's file name and
 * <random> 8 more: 34 bytes for any target. A save locks its temporary
 * (flock) before the temporary has a name, or where it is named from the
 * start right after creating it, and keeps the lock until the rename; so a
 * cleaner that can lock a name has found a leftover.
 */
#include "file/save_temp.h"
#include "util/error.h"
#include "vdb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { TARGET_TAG = 16, RANDOM_TAG = 8 };

static const char PREFIX[] = ".vdb-", SUFFIX[] = ".tmp";

/* FNV-1a: a name for the target that fits in a file name, not a secret. */
static uint64_t name_hash(const char *name)
{
    uint64_t hash = 0xcbf29ce484222325u;
    for (; *name; name++)
        hash = (hash ^ (unsigned char)*name) * 0x100000001b3u;
    return hash;
}

/* ".vdb-<target>-" for the target path: what every temporary of it starts with. */
static void temp_prefix(const char *path, char out[sizeof PREFIX + TARGET_TAG + 1])
{
    const char *slash = strrchr(path, '/');
    snprintf(out, sizeof PREFIX + TARGET_TAG + 1, "%s%016llx-", PREFIX,
             (unsigned long long)name_hash(slash ? slash + 1 : path));
}

static uint32_t random_tag(void)
{
    uint32_t tag;
    if (getrandom(&tag, sizeof tag, GRND_NONBLOCK) == (ssize_t)sizeof tag)
        return tag;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint32_t)now.tv_nsec ^ (uint32_t)getpid() << 16 ^ (uint32_t)(uintptr_t)&now;
}

/* folder/<prefix><random>.tmp, freshly drawn; NULL when out of memory. */
static char *draw_name(const char *folder, const char *path)
{
    char prefix[sizeof PREFIX + TARGET_TAG + 1];
    temp_prefix(path, prefix);
    size_t length = strlen(folder) + 1 + strlen(prefix) + RANDOM_TAG + sizeof SUFFIX;
    char *name = malloc(length);
    if (name)
        snprintf(name, length, "%s/%s%08x%s", folder, prefix, random_tag(), SUFFIX);
    return name;
}

static char *folder_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *folder = strdup(dirname(copy));
    free(copy);
    return folder;
}

/* Whether `entry` in the folder is a temporary of the target, by its name alone. */
static int is_temp_of(const char *entry, const char *prefix)
{
    size_t prefix_length = strlen(prefix), length = strlen(entry);
    return length == prefix_length + RANDOM_TAG + sizeof SUFFIX - 1 && strncmp(entry, prefix, prefix_length) == 0 &&
           strcmp(entry + length - (sizeof SUFFIX - 1), SUFFIX) == 0;
}

/* Remove folder/entry if no live save holds it: the lock is free and the name is still that file's. */
static void remove_if_left_over(int folder_fd, const char *entry)
{
    int fd = openat(folder_fd, entry, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat held, named;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &held) == 0 &&
        fstatat(folder_fd, entry, &named, AT_SYMLINK_NOFOLLOW) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev)
        (void)unlinkat(folder_fd, entry, 0);
    close(fd);
}

void vdb_save_temp_clean(const char *path)
{
    char *folder = folder_of(path);
    if (!folder)
        return;
    char prefix[sizeof PREFIX + TARGET_TAG + 1];
    temp_prefix(path, prefix);
    DIR *listing = opendir(folder);
    free(folder);
    if (!listing)
        return;
    for (struct dirent *entry; (entry = readdir(listing));)
        if (is_temp_of(entry->d_name, prefix))
            remove_if_left_over(dirfd(listing), entry->d_name);
    closedir(listing);
}

/* The mode of the file a save replaces: 1 and *mode, or 0 for a new target (open's 0666 under the umask stands). */
static int mode_to_keep(const char *path, mode_t *mode)
{
    struct stat existing;
    if (stat(path, &existing) != 0 || !S_ISREG(existing.st_mode))
        return 0;
    *mode = existing.st_mode & 07777;
    return 1;
}

/*
 * A named temporary: created, then locked. Between the two a cleaner may
 * lock and remove it; then its name is gone (no links left) and another is
 * drawn. It is created with the mode it will have (or a narrower one, under
 * the umask), so it is never more readable than the file it replaces.
 */
static int create_named(vdb_save_temp *temp, const char *path, mode_t mode)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        free(temp->name);
        temp->name = draw_name(temp->folder, path);
        if (!temp->name)
            return VDB_ENOMEM;
        temp->fd = open(temp->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (temp->fd < 0) {
            if (errno == EEXIST)
                continue;
            return VDB_EIO;
        }
        struct stat status;
        if (flock(temp->fd, LOCK_EX) == 0 && fstat(temp->fd, &status) == 0 && status.st_nlink > 0)
            return VDB_OK;
        close(temp->fd);
        temp->fd = -1;
    }
    errno = EEXIST;
    return VDB_EIO;
}

static int create(vdb_save_temp *temp, const char *path, int unnamed)
{
    *temp = (vdb_save_temp){.fd = -1, .folder = folder_of(path)};
    if (!temp->folder)
        return vdb_fail(VDB_ENOMEM, "out of memory saving '%s'", path);
    mode_t mode = 0666;
    int keep_mode = mode_to_keep(path, &mode), code = VDB_OK;
    /* Unnamed needs /proc to give it a name later (linkat of /proc/self/fd/N). */
    if (unnamed && access("/proc/self/fd", X_OK) == 0)
        temp->fd = open(temp->folder, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
    if (temp->fd >= 0)
        code = flock(temp->fd, LOCK_EX) == 0 ? VDB_OK : VDB_EIO;
    else
        code = create_named(temp, path, mode); /* asked for, or the file system has no O_TMPFILE, or no /proc */
    if (code == VDB_OK && keep_mode && fchmod(temp->fd, mode) != 0)
        code = VDB_EIO;
    if (code != VDB_OK) {
        code = code == VDB_ENOMEM ? vdb_fail(VDB_ENOMEM, "out of memory saving '%s'", path)
                                  : vdb_fail_errno("cannot create a temporary file to save index '%s'", path);
        vdb_save_temp_close(temp);
    }
    return code;
}

int vdb_save_temp_create(vdb_save_temp *temp, const char *path) { return create(temp, path, 1); }

int vdb_save_temp_create_named(vdb_save_temp *temp, const char *path) { return create(temp, path, 0); }

/* Give the unnamed temporary a name beside the target; -1 with errno on failure. */
static int name_unnamed(vdb_save_temp *temp, const char *path)
{
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", temp->fd);
    for (int attempt = 0; attempt < 100; attempt++) {
        temp->name = draw_name(temp->folder, path);
        if (!temp->name) {
            errno = ENOMEM;
            return -1;
        }
        if (linkat(AT_FDCWD, self, AT_FDCWD, temp->name, AT_SYMLINK_FOLLOW) == 0)
            return 0;
        int cause = errno;
        free(temp->name);
        temp->name = NULL;
        if (cause != EEXIST) {
            errno = cause;
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

/*
 * Flush the folder, so the rename itself survives a crash. Best effort: the
 * new file is already complete under its name, and some file systems cannot
 * fsync a folder.
 */
static void sync_folder(const char *folder)
{
    int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int vdb_save_temp_replace(vdb_save_temp *temp, const char *path)
{
    if (!temp->name && name_unnamed(temp, path) != 0)
        return -1;
    if (rename(temp->name, path) != 0)
        return -1;
    free(temp->name);
    temp->name = NULL; /* it is the target's now */
    sync_folder(temp->folder);
    return 0;
}

void vdb_save_temp_close(vdb_save_temp *temp)
{
    if (temp->name) /* a save that failed after naming it */
        (void)unlink(temp->name);
    if (temp->fd >= 0)
        close(temp->fd);
    free(temp->name);
    free(temp->folder);
    *temp = (vdb_save_temp){.fd = -1};
}
