/*
 * A link is resolved only when lstat says `path` is one, so a plain path
 * reaches the save, and its messages, as the user wrote it. realpath()
 * resolves a link whose target exists; it cannot name the missing end of a
 * dangling one, so that end is found by following the chain link by link.
 */
#include "file/save_target.h"
#include "util/error.h"
#include "vdb.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_HOPS = 40 }; /* the kernel's own limit on links followed in one lookup */

/* The path a link's text names: relative text is relative to the link's own folder, not the working one. */
static char *named_by(const char *link, const char *text)
{
    const char *slash = strrchr(link, '/');
    size_t folder = text[0] == '/' || !slash ? 0 : (size_t)(slash - link) + 1, length = strlen(text) + 1;
    char *name = malloc(folder + length);
    if (name) {
        memcpy(name, link, folder);
        memcpy(name + folder, text, length);
    }
    return name;
}

/* The missing name a dangling chain from `path` ends at; NULL with errno (ELOOP past MAX_HOPS). */
static char *dangling_end(const char *path)
{
    char *name = strdup(path);
    for (int hop = 0; name && hop < MAX_HOPS; hop++) {
        struct stat status;
        int failed = lstat(name, &status) != 0;
        if (failed ? errno == ENOENT : !S_ISLNK(status.st_mode))
            return name; /* missing: the end; or created since realpath looked */
        char text[PATH_MAX];
        ssize_t length = failed ? -1 : readlink(name, text, sizeof text - 1);
        if (length < 0) {
            int cause = errno;
            free(name);
            errno = cause;
            return NULL;
        }
        text[length] = '\0';
        char *next = named_by(name, text);
        free(name);
        name = next;
    }
    if (name) {
        free(name);
        errno = ELOOP;
    }
    return NULL;
}

int vdb_save_target(const char *path, char **target)
{
    struct stat status;
    if (lstat(path, &status) != 0 || !S_ISLNK(status.st_mode))
        *target = strdup(path); /* no link, or nothing there yet: the save writes path itself */
    else if (!(*target = realpath(path, NULL)) && errno == ENOENT)
        *target = dangling_end(path);
    if (*target)
        return VDB_OK;
    return errno == ENOMEM ? vdb_fail(VDB_ENOMEM, "out of memory saving '%s'", path)
                           : vdb_fail_errno("cannot save index '%s': its symbolic link cannot be followed", path);
}
