/*
 * Reading id lists. Both formats are parsed strictly: a skipped or wrapped
 * id would pair every later id with the wrong vector (add, upsert) or
 * delete the wrong one, so anything that is not exactly an id is an error
 * naming the file, the line or entry, and the text found.
 */
#include "id_files.h"

#include "cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A .npy header longer than this is not one numpy wrote for a plain array. */
enum { NPY_MAX_HEADER = 1 << 20, NPY_READ_ITEMS = 1 << 16, NPY_MAGIC_FIRST = 0x93 };

int id_parse(const char *text, uint64_t *out)
{
    if (!text || *text == '\0')
        return ID_NOT_A_NUMBER;
    uint64_t v = 0;
    int too_large = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return ID_NOT_A_NUMBER;
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            too_large = 1;
        else
            v = v * 10 + digit;
    }
    if (too_large || v > ID_MAX)
        return ID_TOO_LARGE;
    *out = v;
    return ID_OK;
}

const char *id_problem(int status)
{
    if (status == ID_TOO_LARGE)
        return "is past the largest id, 18446744073709551614 (2^64-1 is reserved)";
    return "is not an id (a whole number 0..18446744073709551614)";
}

int id_list_push(id_list *list, uint64_t id)
{
    if (list->count == list->cap) {
        uint64_t cap = list->cap ? list->cap * 2 : 1024;
        if (cap > SIZE_MAX / sizeof *list->ids)
            return -1;
        uint64_t *grown = realloc(list->ids, (size_t)cap * sizeof *grown);
        if (!grown)
            return -1;
        list->ids = grown;
        list->cap = cap;
    }
    list->ids[list->count++] = id;
    return 0;
}

void id_list_free(id_list *list)
{
    free(list->ids);
    list->ids = NULL;
    list->count = list->cap = 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

static int read_text(const char *cmd, const char *name, FILE *f, id_list *out)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t line_no = 0;
    int status = 0;
    while (status == 0 && (len = getline(&line, &cap, f)) >= 0) {
        line_no++;
        if ((size_t)len != strlen(line)) {
            cli_error(cmd, "'%s' line %llu holds a NUL byte: an id file is text, one id per line, or .npy", name,
                      (unsigned long long)line_no);
            status = -1;
            break;
        }
        char *start = line, *end = line + len;
        while (start < end && is_blank(*start))
            start++;
        while (end > start && is_blank(end[-1]))
            end--;
        if (start == end)
            continue;
        *end = '\0';
        uint64_t id;
        int parsed = id_parse(start, &id);
        if (parsed != ID_OK) {
            cli_error(cmd, "'%s' line %llu: '%.40s%s' %s", name, (unsigned long long)line_no, start,
                      strlen(start) > 40 ? "..." : "", id_problem(parsed));
            status = -1;
        } else if (id_list_push(out, id) != 0) {
            cli_error(cmd, "out of memory reading ids from '%s' (%llu so far)", name, (unsigned long long)out->count);
            status = -1;
        }
    }
    if (status == 0 && ferror(f)) {
        cli_error(cmd, "reading '%s': %s", name, strerror(errno));
        status = -1;
    }
    free(line);
    return status;
}

/* The value of 'key' in a .npy header dict: a pointer just past "'key':" and any blanks, or NULL. */
static const char *npy_field(const char *header, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "'%s'", key);
    const char *p = strstr(header, quoted);
    if (!p)
        return NULL;
    p += strlen(quoted);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

typedef struct npy_ids {
    int is_signed;
    unsigned item_size;
    uint64_t count;
    long data_offset;
} npy_ids;

/*
 * Parse the header dict: the dtype, the order (irrelevant for one column)
 * and the shape. 0, or -1 with what is wrong in why.
 */
static int parse_npy_dict(const char *header, npy_ids *out, char *why, size_t why_size)
{
    const char *descr = npy_field(header, "descr");
    if (!descr || (*descr != '\'' && *descr != '"')) {
        snprintf(why, why_size, "its header is malformed (no 'descr')");
        return -1;
    }
    char quote = *descr++;
    const char *close = strchr(descr, quote);
    if (!close || close - descr != 3 || descr[0] != '<' || (descr[1] != 'i' && descr[1] != 'u') ||
        (descr[2] != '4' && descr[2] != '8')) {
        int len = close ? (int)(close - descr) : 0;
        snprintf(why, why_size, "its values are '%.*s', not little-endian int32, uint32, int64 or uint64",
                 len > 16 ? 16 : len, descr);
        return -1;
    }
    out->is_signed = descr[1] == 'i';
    out->item_size = descr[2] == '8' ? 8 : 4;

    const char *shape = npy_field(header, "shape");
    if (!shape || *shape != '(') {
        snprintf(why, why_size, "its header is malformed (no 'shape')");
        return -1;
    }
    const char *shape_end = strchr(shape, ')');
    int shape_len = shape_end ? (int)(shape_end - shape + 1) : 1;
    if (shape_len > 40)
        shape_len = 40;
    uint64_t dims[2];
    int ndims = 0;
    const char *p = shape + 1;
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == ')')
            break;
        char *end;
        errno = 0;
        unsigned long long d = strtoull(p, &end, 10);
        if (end == p || errno != 0 || *p == '-' || ndims == 2) {
            snprintf(why, why_size, "its shape is %.*s, not (N,) or (N, 1)", shape_len, shape);
            return -1;
        }
        dims[ndims++] = d;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p != ')') {
            snprintf(why, why_size, "its shape is %.*s, not (N,) or (N, 1)", shape_len, shape);
            return -1;
        }
    }
    if (ndims == 0 || (ndims == 2 && dims[1] != 1)) {
        snprintf(why, why_size, "its shape is %.*s, not (N,) or (N, 1)", shape_len, shape);
        return -1;
    }
    out->count = dims[0];
    return 0;
}

static int read_npy(const char *cmd, const char *path, FILE *f, id_list *out)
{
    static const unsigned char npy_magic[6] = {NPY_MAGIC_FIRST, 'N', 'U', 'M', 'P', 'Y'};
    unsigned char prefix[12];
    size_t got = fread(prefix, 1, 10, f);
    if (got < sizeof npy_magic || memcmp(prefix, npy_magic, sizeof npy_magic) != 0) {
        cli_error(cmd, "'%s' is neither a text id file nor a .npy file", path);
        return -1;
    }
    if (got != 10) {
        cli_error(cmd, ".npy file '%s' is truncated in its header", path);
        return -1;
    }
    unsigned major = prefix[6];
    uint64_t header_len;
    long header_start;
    if (major == 1) {
        header_len = prefix[8] | (uint64_t)prefix[9] << 8;
        header_start = 10;
    } else if (major == 2 || major == 3) {
        if (fread(prefix + 10, 1, 2, f) != 2) {
            cli_error(cmd, ".npy file '%s' is truncated in its header", path);
            return -1;
        }
        header_len = prefix[8] | (uint64_t)prefix[9] << 8 | (uint64_t)prefix[10] << 16 | (uint64_t)prefix[11] << 24;
        header_start = 12;
    } else {
        cli_error(cmd, ".npy file '%s' has unsupported format version %u", path, major);
        return -1;
    }
    if (header_len == 0 || header_len > NPY_MAX_HEADER) {
        cli_error(cmd, ".npy file '%s' has a malformed header (%llu bytes long)", path, (unsigned long long)header_len);
        return -1;
    }
    char *header = malloc((size_t)header_len + 1);
    if (!header) {
        cli_error(cmd, "out of memory reading the header of '%s'", path);
        return -1;
    }
    if (fread(header, 1, (size_t)header_len, f) != header_len) {
        free(header);
        cli_error(cmd, ".npy file '%s' is truncated in its header", path);
        return -1;
    }
    header[header_len] = '\0';
    npy_ids npy;
    char why[128];
    int parsed = parse_npy_dict(header, &npy, why, sizeof why);
    free(header);
    if (parsed != 0) {
        cli_error(cmd, ".npy file '%s' cannot be read as ids: %s", path, why);
        return -1;
    }
    npy.data_offset = header_start + (long)header_len;

    /* The file's size bounds the allocation below: check it against the shape first. */
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        cli_error(cmd, ".npy id file '%s' must be a regular file, not a pipe or device", path);
        return -1;
    }
    uint64_t data_bytes = st.st_size > npy.data_offset ? (uint64_t)(st.st_size - npy.data_offset) : 0;
    if (npy.count > data_bytes / npy.item_size || data_bytes != npy.count * npy.item_size) {
        cli_error(cmd, ".npy file '%s' declares %llu ids of %u bytes but holds %llu data bytes", path,
                  (unsigned long long)npy.count, npy.item_size, (unsigned long long)data_bytes);
        return -1;
    }
    if (npy.count == 0)
        return 0;
    out->ids = malloc((size_t)npy.count * sizeof *out->ids);
    unsigned char *buf = malloc((size_t)NPY_READ_ITEMS * npy.item_size);
    if (!out->ids || !buf) {
        free(buf);
        cli_error(cmd, "out of memory for %llu ids from '%s'", (unsigned long long)npy.count, path);
        return -1;
    }
    out->cap = npy.count;
    for (uint64_t done = 0; done < npy.count;) {
        size_t n = npy.count - done < NPY_READ_ITEMS ? (size_t)(npy.count - done) : NPY_READ_ITEMS;
        if (fread(buf, npy.item_size, n, f) != n) {
            free(buf);
            cli_error(cmd, "reading '%s': %s", path, ferror(f) ? strerror(errno) : "the file shrank while being read");
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            const unsigned char *b = buf + i * npy.item_size;
            uint64_t v = 0;
            for (unsigned j = 0; j < npy.item_size; j++)
                v |= (uint64_t)b[j] << (8 * j);
            int negative = npy.is_signed && (b[npy.item_size - 1] & 0x80);
            if (negative || v > ID_MAX) {
                free(buf);
                if (negative)
                    cli_error(cmd, ".npy file '%s': entry %llu is negative, not an id", path,
                              (unsigned long long)(done + i));
                else
                    cli_error(cmd, ".npy file '%s': entry %llu (%llu) %s", path, (unsigned long long)(done + i),
                              (unsigned long long)v, id_problem(ID_TOO_LARGE));
                return -1;
            }
            out->ids[out->count++] = v;
        }
        done += n;
    }
    free(buf);
    return 0;
}

int id_list_read(const char *cmd, const char *path, id_list *out)
{
    memset(out, 0, sizeof *out);
    if (strcmp(path, "-") == 0)
        return read_text(cmd, "stdin", stdin, out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error(cmd, "cannot open id file '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        cli_error(cmd, "id file '%s' is a directory", path);
        return -1;
    }
    /* One byte of look-ahead, put back with ungetc: a pipe (such as bash's <(...)) cannot be rewound. */
    int first = getc(f);
    int status;
    if (first == EOF && ferror(f)) {
        cli_error(cmd, "reading '%s': %s", path, strerror(errno));
        status = -1;
    } else {
        if (first != EOF)
            ungetc(first, f);
        status = first == NPY_MAGIC_FIRST ? read_npy(cmd, path, f, out) : read_text(cmd, path, f, out);
    }
    fclose(f);
    if (status != 0)
        id_list_free(out);
    return status;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int id_list_find_repeat(const id_list *list, uint64_t *id, uint64_t *first, uint64_t *second)
{
    if (list->count < 2)
        return 0;
    uint64_t *sorted = malloc((size_t)list->count * sizeof *sorted);
    if (!sorted)
        return -1;
    memcpy(sorted, list->ids, (size_t)list->count * sizeof *sorted);
    qsort(sorted, (size_t)list->count, sizeof *sorted, compare_u64);
    int found = 0;
    for (uint64_t i = 1; i < list->count && !found; i++)
        if (sorted[i] == sorted[i - 1]) {
            found = 1;
            *id = sorted[i];
        }
    free(sorted);
    if (!found)
        return 0;
    int seen = 0;
    for (uint64_t i = 0; i < list->count && seen < 2; i++)
        if (list->ids[i] == *id)
            *(seen++ == 0 ? first : second) = i;
    return 1;
}
