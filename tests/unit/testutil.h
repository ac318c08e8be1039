/*
 * Helpers shared by the unit tests: deterministic data, an exact brute-force
 * k-NN written independently of the library (scalar, double precision),
 * recall, CRC32C, temporary folders and vector-file writers. Nothing here
 * calls libvdb, so the tests never grade the library against itself.
 */
#ifndef VDB_TESTUTIL_H
#define VDB_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* --- random numbers ---------------------------------------------------- */

typedef struct {
    uint64_t state;
} tu_rng;

void tu_rng_seed(tu_rng *rng, uint64_t seed);
uint64_t tu_rng_next(tu_rng *rng);   /* splitmix64 */
double tu_rng_uniform(tu_rng *rng);  /* [0, 1) with 53 bits */
double tu_rng_gaussian(tu_rng *rng); /* N(0, 1), Box-Muller */

/* --- data -------------------------------------------------------------- */

/* n * dim floats, uniform in [0, 1), from `seed`. Free with free(). */
float *tu_uniform(uint64_t n, uint32_t dim, uint64_t seed);

/*
 * n * dim floats from a mixture of `centres` Gaussians: centres drawn
 * N(0, 1) per coordinate, points centre + sigma * N(0, 1). Points are
 * assigned to centres round-robin by a random draw. Free with free().
 */
float *tu_clustered(uint64_t n, uint32_t dim, uint32_t centres, double sigma, uint64_t seed);

/* The same mixture (same centres for the same seed) sampled with another point seed: queries. */
float *tu_clustered_queries(uint64_t nq, uint32_t dim, uint32_t centres, double sigma, uint64_t seed,
                            uint64_t query_seed);

/* --- exact distances and k-NN ------------------------------------------- */

enum { TU_L2 = 0, TU_IP = 1, TU_COSINE = 2 }; /* the documented enum vdb_metric values */

/* Squared L2, 1 - dot, or 1 - cos (1 when either vector is zero), in double. */
double tu_distance(int metric, const float *a, const float *b, uint32_t dim);

/*
 * Exact k nearest rows of `base` for each of nq queries: ids[q*k + i] is the
 * row number, nearest first (ties by smaller row). With `base_ids` non-NULL
 * the row number is mapped through it. distances may be NULL.
 */
void tu_brute_force(int metric, const float *base, uint64_t n, const uint64_t *base_ids, const float *queries,
                    uint64_t nq, uint32_t dim, uint32_t k, uint64_t *ids, double *distances);

/* Fraction of exact[q*k .. q*k+k) found in approx[q*k .. q*k+k), over all queries. */
double tu_recall(const uint64_t *approx, const uint64_t *exact, uint64_t nq, uint32_t k);

/* --- CRC32C (Castagnoli, reflected 0x82F63B78, init and final xor 0xFFFFFFFF) --- */

uint32_t tu_crc32c(const void *bytes, size_t length);

/* --- little-endian access ----------------------------------------------- */

uint32_t tu_le32(const unsigned char *p);
uint64_t tu_le64(const unsigned char *p);
void tu_put_le32(unsigned char *p, uint32_t value);

/* --- files and folders -------------------------------------------------- */

/* A fresh folder under /tmp (mkdtemp). Aborts the test on failure. */
char *tu_temp_dir(void);
/* Remove the folder and everything in it (one level deep), then free `dir`. */
void tu_remove_dir(char *dir);
/* dir + "/" + name in a malloc'd string. */
char *tu_path(const char *dir, const char *name);
/* Number of entries (other than . and ..) in a folder, -1 if it cannot be read. */
int tu_count_entries(const char *dir);

/* Whole file into a malloc'd buffer; NULL when it cannot be read. */
unsigned char *tu_read_file(const char *path, size_t *length);
/* Write `length` bytes; returns 0 on success. */
int tu_write_file(const char *path, const void *bytes, size_t length);

/* n rows of dim float32, raw / .fvecs / .npy ('<f4', C order, 2-D). Return 0 on success. */
int tu_write_raw(const char *path, const float *rows, uint64_t n, uint32_t dim);
int tu_write_fvecs(const char *path, const float *rows, uint64_t n, uint32_t dim);
/* .npy with the given descr (e.g. "<f4"), fortran_order text and shape text (e.g. "(10, 4)"). */
int tu_write_npy_custom(const char *path, const char *descr, const char *fortran, const char *shape, const void *data,
                        size_t data_bytes);
int tu_write_npy(const char *path, const float *rows, uint64_t n, uint32_t dim);

/* --- index file layout (docs/format.md), read from saved bytes ---------- */

enum { TU_HEADER_SIZE = 4096, TU_VERSION_OFFSET = 8, TU_SECTIONS_OFFSET = 80, TU_HEADER_CRC_OFFSET = 4092 };
enum {
    TU_SECTION_VECTORS = 0,
    TU_SECTION_LINKS0 = 1,
    TU_SECTION_UPPER = 2,
    TU_SECTION_IDS = 3,
    TU_SECTION_QUANTIZER = 4, /* format 2 */
    TU_SECTION_CODES = 5
};
enum { TU_CODES_OFFSET = 224 }; /* format 2: codes kind, then trained, then rerank (u32 each) */

typedef struct {
    uint64_t offset, length;
    uint32_t crc;
} tu_section;

/* Section `i` of the table in a header. */
tu_section tu_read_section(const unsigned char *header, int i);
/* Recompute and store the header CRC (bytes [0, 4092) at 4092). */
void tu_fix_header_crc(unsigned char *file);

#endif
