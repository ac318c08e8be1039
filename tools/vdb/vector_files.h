/*
 * Vector file formats as the tool sees them: which format a path means (the
 * same rule as libvdb: ".fvecs" and ".npy" by suffix, anything else raw) and
 * a streaming writer for all three, so `vdb gen` never holds a whole data set.
 */
#ifndef VDB_CLI_VECTOR_FILES_H
#define VDB_CLI_VECTOR_FILES_H

#include <stdint.h>
#include <stdio.h>

typedef enum vec_format { VEC_FORMAT_RAW = 0, VEC_FORMAT_FVECS = 1, VEC_FORMAT_NPY = 2 } vec_format;

/* "raw" | "fvecs" | "npy" to a vec_format; -1 when unknown. */
int vec_format_from_name(const char *name);
/* The format libvdb will assume for this path. */
vec_format vec_format_from_path(const char *path);
const char *vec_format_name(vec_format format);
/* 1 when libvdb will read `path` as raw float32 and so needs to be told its dimension. */
int vec_file_needs_dim(const char *path);

typedef struct vector_writer {
    FILE *file;
    vec_format format;
    uint32_t dim;
    uint64_t rows_declared; /* written into the .npy header up front */
    uint64_t rows_written;
} vector_writer;

/* Create (truncate) `path` and write any header. 0, or -1 with errno set. */
int vector_writer_open(vector_writer *w, const char *path, vec_format format, uint32_t dim, uint64_t rows);
/* Append n rows of dim floats. 0, or -1 with errno set. */
int vector_writer_write(vector_writer *w, const float *rows, uint64_t n);
/* Flush and close; fails (errno set) if a write was lost or the row count differs from the declared one. */
int vector_writer_close(vector_writer *w);

#endif
