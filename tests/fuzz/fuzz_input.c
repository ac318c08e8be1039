/*
 * The input file of a fuzz target and its aliases, in a folder under $TMPDIR
 * (or /tmp): run.sh points TMPDIR into its own work folder, which it removes
 * even when a crash skips the exit handler here. Failing to make the files is
 * a broken machine, not a finding, so it aborts at once.
 */
#define _DEFAULT_SOURCE /* mkdtemp, symlink */
#include "fuzz_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_FILES = 8, MAX_PATH = 512 };

static char folder[MAX_PATH];
static char paths[MAX_FILES][MAX_PATH]; /* paths[0] is the input file, the rest its aliases and other files */
static int path_count;

static void remove_folder(void)
{
    for (int i = 0; i < path_count; i++)
        unlink(paths[i]);
    rmdir(folder);
}

static const char *add_path(const char *name)
{
    if (path_count == MAX_FILES)
        abort();
    char *path = paths[path_count];
    if (snprintf(path, MAX_PATH, "%s/%s", folder, name) >= MAX_PATH)
        abort();
    path_count++;
    return path;
}

const char *fuzz_input_path(const char *name)
{
    const char *tmp = getenv("TMPDIR");
    if (path_count != 0 || snprintf(folder, MAX_PATH, "%s/vdb-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= MAX_PATH ||
        !mkdtemp(folder))
        abort();
    atexit(remove_folder);
    return add_path(name);
}

const char *fuzz_input_alias(const char *name)
{
    if (path_count == 0)
        abort();
    const char *path = add_path(name);
    /* Relative, so the link stays inside the folder. */
    if (symlink(strrchr(paths[0], '/') + 1, path) != 0)
        abort();
    return path;
}

const char *fuzz_input_other(const char *name)
{
    if (path_count == 0)
        abort();
    return add_path(name);
}

void fuzz_input_write(const uint8_t *data, size_t size)
{
    FILE *file = fopen(paths[0], "wb");
    if (!file)
        abort();
    if (size && fwrite(data, 1, size, file) != size)
        abort();
    if (fclose(file) != 0)
        abort();
}
