/*
 * Vector file parsers. Every number read from a file is checked against the
 * file's size before anything is sized from it.
 */
#include "vectors/vectors_file.h"

#include "util/error.h"
#include "util/limits.h"
#include "vdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

static int check_dim(uint32_t file_dim, uint32_t wanted_dim, const char *path)
{
    if (file_dim == 0 || file_dim > VDB_MAX_DIM)
        return vdb_fail(VDB_EFORMAT, "vector file '%s' has dimension %u, outside 1..%u", path, file_dim, VDB_MAX_DIM);
    if (wanted_dim != 0 && wanted_dim != file_dim)
        return vdb_fail(VDB_EDIM, "dimension mismatch: expected %u, vector file '%s' has %u", wanted_dim, path,
                        file_dim);
    return VDB_OK;
}

static int parse_raw(vdb_vector_view *out, const vdb_mapping *file, const char *path, uint32_t dim)
{
    if (dim == 0)
        return vdb_fail(VDB_EINVAL, "raw vector file '%s' needs the dimension to be given", path);
    if (dim > VDB_MAX_DIM)
        return vdb_fail(VDB_EINVAL, "dimension %u is outside 1..%u", dim, VDB_MAX_DIM);
    size_t row_bytes = (size_t)dim * sizeof(float);
    if (file->length % row_bytes != 0)
        return vdb_fail(VDB_EFORMAT, "raw vector file '%s' has %zu bytes, not a whole number of %u-float rows", path,
                        file->length, dim);
    *out = (vdb_vector_view){(const float *)file->bytes, file->length / row_bytes, dim, dim, VDB_VECTORS_RAW};
    return VDB_OK;
}

static int parse_fvecs(vdb_vector_view *out, const vdb_mapping *file, const char *path, uint32_t dim)
{
    int32_t file_dim;
    if (file->length < sizeof file_dim)
        return vdb_fail(VDB_EFORMAT, ".fvecs file '%s' is truncated (%zu bytes)", path, file->length);
    memcpy(&file_dim, file->bytes, sizeof file_dim);
    if (file_dim <= 0)
        return vdb_fail(VDB_EFORMAT, ".fvecs file '%s' starts with dimension %d", path, file_dim);
    int code = check_dim((uint32_t)file_dim, dim, path);
    if (code != VDB_OK)
        return code;
    size_t row_bytes = ((size_t)file_dim + 1) * sizeof(float);
    if (file->length % row_bytes != 0)
        return vdb_fail(VDB_EFORMAT, ".fvecs file '%s' has %zu bytes, not a whole number of %d-float rows", path,
                        file->length, file_dim);
    *out = (vdb_vector_view){(const float *)file->bytes + 1, file->length / row_bytes, (uint32_t)file_dim,
                             (uint32_t)file_dim + 1, VDB_VECTORS_FVECS};
    return VDB_OK;
}

/* Find `'key':` in a .npy header dictionary and return what follows it. */
static const char *npy_value(const char *header, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *at = strstr(header, quoted);
    if (!at)
        return NULL;
    at += strlen(quoted);
    while (*at == ' ')
        at++;
    if (*at != ':')
        return NULL;
    at++;
    while (*at == ' ')
        at++;
    return at;
}

/* A 2-D shape "(rows, cols)": VDB_OK, or VDB_EFORMAT for anything else (the caller says which file). */
static int parse_npy_shape(const char *shape, uint64_t *rows, uint64_t *cols)
{
    if (*shape != '(')
        return VDB_EFORMAT;
    char *end;
    unsigned long long first = strtoull(shape + 1, &end, 10);
    if (end == shape + 1 || *end != ',')
        return VDB_EFORMAT;
    const char *second_at = end + 1;
    while (*second_at == ' ')
        second_at++;
    unsigned long long second = strtoull(second_at, &end, 10);
    if (end == second_at)
        return VDB_EFORMAT;
    while (*end == ' ' || *end == ',')
        end++;
    if (*end != ')')
        return VDB_EFORMAT;
    *rows = first;
    *cols = second;
    return VDB_OK;
}

static int parse_npy(vdb_vector_view *out, const vdb_mapping *file, const char *path, uint32_t dim)
{
    const unsigned char *bytes = file->bytes;
    if (file->length < 10)
        return vdb_fail(VDB_EFORMAT, ".npy file '%s' is truncated", path);
    unsigned major = bytes[6];
    size_t header_length, header_start;
    if (major == 1) {
        header_length = (size_t)bytes[8] | (size_t)bytes[9] << 8;
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (file->length < 12)
            return vdb_fail(VDB_EFORMAT, ".npy file '%s' is truncated", path);
        header_length = (size_t)bytes[8] | (size_t)bytes[9] << 8 | (size_t)bytes[10] << 16 | (size_t)bytes[11] << 24;
        header_start = 12;
    } else {
        return vdb_fail(VDB_EFORMAT, ".npy file '%s' has unsupported version %u", path, major);
    }
    if (header_length > file->length - header_start || header_length > 1u << 20)
        return vdb_fail(VDB_EFORMAT, ".npy file '%s' is truncated in its header", path);

    char *header = malloc(header_length + 1);
    if (!header)
        return vdb_fail(VDB_ENOMEM, "out of memory reading .npy header of '%s'", path);
    memcpy(header, bytes + header_start, header_length);
    header[header_length] = '\0';

    int code = VDB_OK;
    const char *descr = npy_value(header, "descr");
    const char *fortran = npy_value(header, "fortran_order");
    const char *shape = npy_value(header, "shape");
    uint64_t rows = 0, cols = 0;
    if (!descr || !fortran || !shape)
        code = vdb_fail(VDB_EFORMAT, ".npy file '%s' has a malformed header", path);
    else if (strncmp(descr, "'<f4'", 5) != 0 && strncmp(descr, "'=f4'", 5) != 0)
        code = vdb_fail(VDB_EFORMAT, ".npy file '%s' holds %.6s, not little-endian float32 '<f4'", path, descr);
    else if (strncmp(fortran, "False", 5) != 0)
        code = vdb_fail(VDB_EFORMAT, ".npy file '%s' is in Fortran order; save it C-contiguous", path);
    else if (parse_npy_shape(shape, &rows, &cols) != VDB_OK)
        code = vdb_fail(VDB_EFORMAT, ".npy file '%s' is not a 2-D array (shape %.32s)", path, shape);
    free(header);
    if (code != VDB_OK)
        return code;
    if (cols > UINT32_MAX)
        return vdb_fail(VDB_EFORMAT, ".npy file '%s' has %llu columns", path, (unsigned long long)cols);
    if ((code = check_dim((uint32_t)cols, dim, path)) != VDB_OK)
        return code;

    size_t data_start = header_start + header_length;
    size_t data_bytes = file->length - data_start;
    if (data_start % sizeof(float) != 0)
        return vdb_fail(VDB_EFORMAT, ".npy file '%s' has misaligned data", path);
    if (rows > data_bytes / (cols * sizeof(float)) || rows * cols * sizeof(float) != data_bytes)
        return vdb_fail(VDB_EFORMAT, ".npy file '%s' declares %llu x %llu floats but holds %zu data bytes", path,
                        (unsigned long long)rows, (unsigned long long)cols, data_bytes);
    *out =
        (vdb_vector_view){(const float *)(bytes + data_start), rows, (uint32_t)cols, (uint32_t)cols, VDB_VECTORS_NPY};
    return VDB_OK;
}

int vdb_vector_view_parse(vdb_vector_view *out, const vdb_mapping *file, const char *path, uint32_t dim)
{
    static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (file->length >= sizeof npy_magic && memcmp(file->bytes, npy_magic, sizeof npy_magic) == 0)
        return parse_npy(out, file, path, dim);
    if (ends_with(path, ".npy"))
        return vdb_fail(VDB_EFORMAT, "'%s' is not a .npy file (no NUMPY magic)", path);
    if (ends_with(path, ".fvecs"))
        return parse_fvecs(out, file, path, dim);
    return parse_raw(out, file, path, dim);
}

int vdb_vector_view_row_ok(const vdb_vector_view *view, uint64_t row)
{
    if (view->format != VDB_VECTORS_FVECS)
        return 1;
    int32_t prefix;
    memcpy(&prefix, vdb_vector_view_row(view, row) - 1, sizeof prefix);
    return prefix == (int32_t)view->dim;
}
