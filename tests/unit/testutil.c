/*
 * The test helpers declared in testutil.h. Deliberately plain: scalar loops,
 * double accumulation, no libvdb calls, so that what the tests compare the
 * library against is computed another way.
 */
#define _DEFAULT_SOURCE /* mkdtemp, d_type-free readdir */
#include "testutil.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tu_rng_seed(tu_rng *rng, uint64_t seed) { rng->state = seed; }

uint64_t tu_rng_next(tu_rng *rng)
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double tu_rng_uniform(tu_rng *rng) { return (double)(tu_rng_next(rng) >> 11) * 0x1.0p-53; }

double tu_rng_gaussian(tu_rng *rng)
{
    double u1 = tu_rng_uniform(rng), u2 = tu_rng_uniform(rng);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static float *alloc_floats(uint64_t count)
{
    float *p = malloc(sizeof(float) * (count ? count : 1));
    cr_assert_not_null(p, "out of memory allocating %llu floats", (unsigned long long)count);
    return p;
}

float *tu_uniform(uint64_t n, uint32_t dim, uint64_t seed)
{
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    float *v = alloc_floats(n * dim);
    for (uint64_t i = 0; i < n * dim; i++)
        v[i] = (float)(tu_rng_next(&rng) >> 40) * 0x1.0p-24f; /* exactly representable, < 1 */
    return v;
}

static float *make_centres(uint32_t dim, uint32_t centres, uint64_t seed)
{
    tu_rng rng;
    tu_rng_seed(&rng, seed ^ 0xC0FFEEull);
    float *c = alloc_floats((uint64_t)centres * dim);
    for (uint64_t i = 0; i < (uint64_t)centres * dim; i++)
        c[i] = (float)tu_rng_gaussian(&rng);
    return c;
}

static float *sample_mixture(uint64_t n, uint32_t dim, const float *centres, uint32_t count, double sigma,
                             uint64_t point_seed)
{
    tu_rng rng;
    tu_rng_seed(&rng, point_seed);
    float *v = alloc_floats(n * dim);
    for (uint64_t i = 0; i < n; i++) {
        const float *c = centres + (tu_rng_next(&rng) % count) * dim;
        for (uint32_t j = 0; j < dim; j++)
            v[i * dim + j] = (float)(c[j] + sigma * tu_rng_gaussian(&rng));
    }
    return v;
}

float *tu_clustered(uint64_t n, uint32_t dim, uint32_t centres, double sigma, uint64_t seed)
{
    float *c = make_centres(dim, centres, seed);
    float *v = sample_mixture(n, dim, c, centres, sigma, seed);
    free(c);
    return v;
}

float *tu_clustered_queries(uint64_t nq, uint32_t dim, uint32_t centres, double sigma, uint64_t seed,
                            uint64_t query_seed)
{
    float *c = make_centres(dim, centres, seed);
    float *v = sample_mixture(nq, dim, c, centres, sigma, query_seed);
    free(c);
    return v;
}

double tu_distance(int metric, const float *a, const float *b, uint32_t dim)
{
    double sum = 0.0, dot = 0.0, na = 0.0, nb = 0.0;
    switch (metric) {
    case TU_L2:
        for (uint32_t i = 0; i < dim; i++) {
            double d = (double)a[i] - (double)b[i];
            sum += d * d;
        }
        return sum;
    case TU_IP:
        for (uint32_t i = 0; i < dim; i++)
            dot += (double)a[i] * (double)b[i];
        return 1.0 - dot;
    case TU_COSINE:
        for (uint32_t i = 0; i < dim; i++) {
            dot += (double)a[i] * (double)b[i];
            na += (double)a[i] * (double)a[i];
            nb += (double)b[i] * (double)b[i];
        }
        if (na == 0.0 || nb == 0.0)
            return 1.0;
        return 1.0 - dot / (sqrt(na) * sqrt(nb));
    default: cr_assert_fail("unknown metric %d", metric); return 0.0;
    }
}

typedef struct {
    double distance;
    uint64_t row;
} scored;

static int nearer(const scored *a, const scored *b)
{
    return a->distance < b->distance || (a->distance == b->distance && a->row < b->row);
}

void tu_brute_force(int metric, const float *base, uint64_t n, const uint64_t *base_ids, const float *queries,
                    uint64_t nq, uint32_t dim, uint32_t k, uint64_t *ids, double *distances)
{
    scored *best = malloc(sizeof *best * (k + 1u));
    cr_assert_not_null(best);
    for (uint64_t q = 0; q < nq; q++) {
        const float *query = queries + q * dim;
        uint32_t have = 0;
        for (uint64_t row = 0; row < n; row++) {
            scored s = {tu_distance(metric, query, base + row * dim, dim), row};
            if (have == k && !nearer(&s, &best[k - 1]))
                continue;
            uint32_t at = have < k ? have++ : k - 1; /* insertion sort into the k best */
            while (at > 0 && nearer(&s, &best[at - 1])) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = s;
        }
        for (uint32_t i = 0; i < k; i++) {
            ids[q * k + i] = i < have ? (base_ids ? base_ids[best[i].row] : best[i].row) : UINT64_MAX;
            if (distances)
                distances[q * k + i] = i < have ? best[i].distance : INFINITY;
        }
    }
    free(best);
}

double tu_recall(const uint64_t *approx, const uint64_t *exact, uint64_t nq, uint32_t k)
{
    uint64_t hits = 0;
    for (uint64_t q = 0; q < nq; q++)
        for (uint32_t i = 0; i < k; i++)
            for (uint32_t j = 0; j < k; j++)
                if (exact[q * k + i] == approx[q * k + j]) {
                    hits++;
                    break;
                }
    return nq ? (double)hits / (double)(nq * k) : 0.0;
}

uint32_t tu_crc32c(const void *bytes, size_t length)
{
    const unsigned char *p = bytes;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < length; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return crc ^ 0xFFFFFFFFu;
}

uint32_t tu_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t tu_le64(const unsigned char *p) { return (uint64_t)tu_le32(p) | (uint64_t)tu_le32(p + 4) << 32; }

void tu_put_le32(unsigned char *p, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(value >> (8 * i));
}

char *tu_temp_dir(void)
{
    char *dir = strdup("/tmp/vdb-test-XXXXXX");
    cr_assert_not_null(dir);
    cr_assert_not_null(mkdtemp(dir), "mkdtemp failed");
    return dir;
}

char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    cr_assert_not_null(path);
    snprintf(path, n, "%s/%s", dir, name);
    return path;
}

void tu_remove_dir(char *dir)
{
    if (!dir)
        return;
    (void)chmod(dir, 0700); /* a test may have made it read-only */
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *path = tu_path(dir, e->d_name);
            if (unlink(path) != 0)
                (void)rmdir(path);
            free(path);
        }
        closedir(d);
    }
    (void)rmdir(dir);
    free(dir);
}

int tu_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

unsigned char *tu_read_file(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *bytes = NULL;
    long size;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        bytes = malloc((size_t)size + 1);
        if (bytes && fread(bytes, 1, (size_t)size, f) != (size_t)size) {
            free(bytes);
            bytes = NULL;
        }
        if (bytes && length)
            *length = (size_t)size;
    }
    fclose(f);
    return bytes;
}

int tu_write_file(const char *path, const void *bytes, size_t length)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = (length == 0 || fwrite(bytes, 1, length, f) == length);
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

int tu_write_raw(const char *path, const float *rows, uint64_t n, uint32_t dim)
{
    return tu_write_file(path, rows, sizeof(float) * n * dim);
}

int tu_write_fvecs(const char *path, const float *rows, uint64_t n, uint32_t dim)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = 1;
    int32_t d = (int32_t)dim;
    for (uint64_t i = 0; i < n && ok; i++)
        ok = fwrite(&d, sizeof d, 1, f) == 1 && fwrite(rows + i * dim, sizeof(float), dim, f) == dim;
    ok &= fclose(f) == 0;
    return ok ? 0 : -1;
}

int tu_write_npy_custom(const char *path, const char *descr, const char *fortran, const char *shape, const void *data,
                        size_t data_bytes)
{
    char dict[256];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, fortran, shape);
    if (len < 0 || (size_t)len >= sizeof dict - 64)
        return -1;
    /* Pad with spaces and a newline so that the data starts on a 64-byte boundary, as numpy does. */
    size_t header_len = (size_t)len + 1;
    size_t total = 10 + header_len;
    size_t padded = (total + 63) / 64 * 64;
    header_len += padded - total;
    unsigned char *bytes = malloc(padded + data_bytes);
    if (!bytes)
        return -1;
    memcpy(bytes, "\x93NUMPY\x01\x00", 8);
    bytes[8] = (unsigned char)(header_len & 0xFF);
    bytes[9] = (unsigned char)(header_len >> 8);
    memcpy(bytes + 10, dict, (size_t)len);
    memset(bytes + 10 + len, ' ', header_len - (size_t)len - 1);
    bytes[padded - 1] = '\n';
    if (data_bytes)
        memcpy(bytes + padded, data, data_bytes);
    int rc = tu_write_file(path, bytes, padded + data_bytes);
    free(bytes);
    return rc;
}

int tu_write_npy(const char *path, const float *rows, uint64_t n, uint32_t dim)
{
    char shape[64];
    snprintf(shape, sizeof shape, "(%llu, %u)", (unsigned long long)n, dim);
    return tu_write_npy_custom(path, "<f4", "False", shape, rows, sizeof(float) * n * dim);
}

tu_section tu_read_section(const unsigned char *header, int i)
{
    const unsigned char *entry = header + TU_SECTIONS_OFFSET + 24 * i;
    tu_section s = {tu_le64(entry), tu_le64(entry + 8), tu_le32(entry + 16)};
    return s;
}

void tu_fix_header_crc(unsigned char *file)
{
    tu_put_le32(file + TU_HEADER_CRC_OFFSET, tu_crc32c(file, TU_HEADER_CRC_OFFSET));
}
