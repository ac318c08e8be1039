/*
 * vdb_vectors: a user's vector file, mapped read-only for its rows (the CLI
 * and the bindings read queries and data sets through it).
 */
#include "util/error.h"
#include "util/limits.h"
#include "util/mapping.h"
#include "vdb.h"
#include "vectors/vectors_file.h"

#include <stdlib.h>

struct vdb_vectors {
    vdb_mapping file;
    vdb_vector_view view;
};

int vdb_vectors_open(vdb_vectors **out, const char *path, uint32_t dim)
{
    if (!out || !path)
        return vdb_fail(VDB_EINVAL, "%s is NULL", out ? "path" : "out");
    if (dim > VDB_MAX_DIM)
        return vdb_fail(VDB_EINVAL, "dimension %u is outside 1..%u", dim, VDB_MAX_DIM);
    vdb_vectors *vectors = calloc(1, sizeof *vectors);
    if (!vectors)
        return vdb_fail(VDB_ENOMEM, "out of memory opening '%s'", path);
    int code = vdb_mapping_open(&vectors->file, path, "vector file");
    if (code == VDB_OK && (code = vdb_vector_view_parse(&vectors->view, &vectors->file, path, dim)) != VDB_OK)
        vdb_mapping_close(&vectors->file);
    if (code != VDB_OK) {
        free(vectors);
        return code;
    }
    *out = vectors;
    return VDB_OK;
}

uint64_t vdb_vectors_count(const vdb_vectors *vectors) { return vectors ? vectors->view.count : 0; }
uint32_t vdb_vectors_dim(const vdb_vectors *vectors) { return vectors ? vectors->view.dim : 0; }

const float *vdb_vectors_row(const vdb_vectors *vectors, uint64_t row)
{
    if (!vectors || row >= vectors->view.count || !vdb_vector_view_row_ok(&vectors->view, row))
        return NULL;
    return vdb_vector_view_row(&vectors->view, row);
}

void vdb_vectors_close(vdb_vectors *vectors)
{
    if (!vectors)
        return;
    vdb_mapping_close(&vectors->file);
    free(vectors);
}
