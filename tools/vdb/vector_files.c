/*
 * Writing raw, .fvecs and .npy float32 files, little-endian like libvdb reads
 * them (the tool, like the library, assumes a little-endian host). Output is
 * buffered through stdio with a large buffer: gen is limited by the disk, not
 * by the number of write calls.
 */
#include "vector_files.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { WRITE_BUFFER = 1 << 20, NPY_ALIGN = 64 };

int vec_format_from_name(const char *name)
{
    if (strcmp(name, "raw") == 0)
        return VEC_FORMAT_RAW;
    if (strcmp(name, "fvecs") == 0)
        return VEC_FORMAT_FVECS;
    if (strcmp(name, "npy") == 0)
        return VEC_FORMAT_NPY;
    return -1;
}

static int ends_with(const char *text, const char *suffix)
{
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

vec_format vec_format_from_path(const char *path)
{
    if (ends_with(path, ".fvecs"))
        return VEC_FORMAT_FVECS;
    if (ends_with(path, ".npy"))
        return VEC_FORMAT_NPY;
    return VEC_FORMAT_RAW;
}

int vec_file_needs_dim(const char *path)
{
    if (vec_format_from_path(path) != VEC_FORMAT_RAW)
        return 0;
    /* libvdb recognises a .npy file by its magic whatever its name. */
    static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    unsigned char head[sizeof npy_magic];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return !(n == sizeof head && memcmp(head, npy_magic, sizeof head) == 0);
}

const char *vec_format_name(vec_format format)
{
    switch (format) {
    case VEC_FORMAT_FVECS: return "fvecs";
    case VEC_FORMAT_NPY: return "npy";
    case VEC_FORMAT_RAW: break;
    }
    return "raw";
}

/*
 * NPY format 1.0: magic, version, a little-endian uint16 header length, then a
 * Python dict literal padded with spaces and ended by '\n' so the data starts
 * on a 64-byte boundary (what numpy itself writes).
 */
static int write_npy_header(FILE *f, uint32_t dim, uint64_t rows)
{
    char dict[256];
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%llu, %u), }",
                       (unsigned long long)rows, dim);
    size_t prefix = 10;
    size_t total = prefix + (size_t)len + 1;
    size_t padded = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    size_t header_len = padded - prefix;
    unsigned char head[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(header_len & 0xff), (unsigned char)(header_len >> 8)};
    if (fwrite(head, 1, sizeof head, f) != sizeof head || fwrite(dict, 1, (size_t)len, f) != (size_t)len)
        return -1;
    for (size_t i = prefix + (size_t)len; i + 1 < padded; i++)
        if (fputc(' ', f) == EOF)
            return -1;
    return fputc('\n', f) == EOF ? -1 : 0;
}

int vector_writer_open(vector_writer *w, const char *path, vec_format format, uint32_t dim, uint64_t rows)
{
    memset(w, 0, sizeof *w);
    w->file = fopen(path, "wb");
    if (!w->file)
        return -1;
    setvbuf(w->file, NULL, _IOFBF, WRITE_BUFFER);
    w->format = format;
    w->dim = dim;
    w->rows_declared = rows;
    if (format == VEC_FORMAT_NPY && write_npy_header(w->file, dim, rows) != 0) {
        int saved = errno;
        fclose(w->file);
        w->file = NULL;
        errno = saved;
        return -1;
    }
    return 0;
}

int vector_writer_write(vector_writer *w, const float *rows, uint64_t n)
{
    if (w->format != VEC_FORMAT_FVECS) {
        size_t floats = (size_t)n * w->dim;
        if (fwrite(rows, sizeof(float), floats, w->file) != floats)
            return -1;
    } else {
        int32_t prefix = (int32_t)w->dim;
        for (uint64_t i = 0; i < n; i++) {
            if (fwrite(&prefix, sizeof prefix, 1, w->file) != 1 ||
                fwrite(rows + i * w->dim, sizeof(float), w->dim, w->file) != w->dim)
                return -1;
        }
    }
    w->rows_written += n;
    return 0;
}

int vector_writer_close(vector_writer *w)
{
    if (!w->file)
        return 0;
    /* fclose reports write errors stdio deferred, such as a full disk on the last buffer. */
    int failed = ferror(w->file);
    int saved = errno;
    if (fclose(w->file) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    w->file = NULL;
    if (!failed && w->rows_written != w->rows_declared) {
        failed = 1;
        saved = EINVAL;
    }
    errno = saved;
    return failed ? -1 : 0;
}
