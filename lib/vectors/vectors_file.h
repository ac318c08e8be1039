/*
 * Reading vector files in place: raw little-endian float32 rows, .fvecs and
 * .npy (float32, C order, 2-D). Parsing only looks at the header and the file
 * size; rows are handed out as pointers into the mapping.
 */
#ifndef VDB_VECTORS_FILE_H
#define VDB_VECTORS_FILE_H

#include "util/mapping.h"

#include <stdint.h>

typedef enum { VDB_VECTORS_RAW, VDB_VECTORS_FVECS, VDB_VECTORS_NPY } vdb_vectors_format;

typedef struct vdb_vector_view {
    const float *first_row;
    uint64_t count;
    uint32_t dim;
    uint32_t stride; /* floats from one row to the next: dim, or dim + 1 in .fvecs */
    vdb_vectors_format format;
} vdb_vector_view;

/*
 * Describe the rows of a mapped vector file. dim is 0 or the expected
 * dimension (required for raw files). path chooses the format by extension
 * (.fvecs) or content (.npy magic) and names the file in messages.
 */
int vdb_vector_view_parse(vdb_vector_view *out, const vdb_mapping *file, const char *path, uint32_t dim);

static inline const float *vdb_vector_view_row(const vdb_vector_view *view, uint64_t row)
{
    return view->first_row + row * view->stride;
}

/* In .fvecs each row repeats its dimension; 1 when row's prefix agrees (always 1 for other formats). */
int vdb_vector_view_row_ok(const vdb_vector_view *view, uint64_t row);

#endif
