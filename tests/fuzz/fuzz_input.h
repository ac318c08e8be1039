/*
 * libvdb reads files, not buffers, so every fuzz target writes its input to a
 * file first: one per process, in a folder of its own under $TMPDIR (or /tmp)
 * removed at exit, so parallel fuzzer processes do not share it.
 */
#ifndef VDB_FUZZ_INPUT_H
#define VDB_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* The input file's path, "<folder>/<name>"; the first call makes the folder. Call it once. */
const char *fuzz_input_path(const char *name);

/* Another name for the input file (a symlink beside it): for readers that go by a name's ending. */
const char *fuzz_input_alias(const char *name);

/* A path for another file in the input's folder, removed with it at exit (the file is not made here). */
const char *fuzz_input_other(const char *name);

/* Replace the input file's bytes with data. */
void fuzz_input_write(const uint8_t *data, size_t size);

#endif
