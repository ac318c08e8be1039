/*
 * Where query vectors come from: a vector file (copied into one contiguous
 * buffer so a batch search can take them), a seeded random generator, or
 * text lines of floats.
 */
#ifndef VDB_CLI_QUERIES_H
#define VDB_CLI_QUERIES_H

#include <stdint.h>

/*
 * Read up to `limit` rows (UINT64_MAX = all), from row `first` on, of a vector
 * file of dimension `dim` (0 = from the file; raw files need it). *out is
 * malloc'ed, *n rows of *out_dim floats. On failure prints "vdb <cmd>: ..." and returns -1.
 */
int queries_from_file(const char *cmd, const char *path, uint32_t dim, uint64_t first, uint64_t limit, float **out,
                      uint64_t *n, uint32_t *out_dim);

/* n rows of dim floats uniform in [0,1) from `seed` (the same generator as `vdb gen`); NULL when out of memory. */
float *queries_random(uint64_t n, uint32_t dim, uint64_t seed);

enum query_line_status { QUERY_LINE_OK = 0, QUERY_LINE_BLANK = 1, QUERY_LINE_BAD_TOKEN = 2 };

/*
 * Parse one text line of floats separated by blanks and/or commas into buf
 * (at most cap floats are stored; *count counts all of them, so a caller can
 * report "got 385"). NaN and infinities are bad tokens: no index accepts them.
 * On QUERY_LINE_BAD_TOKEN, *bad points at the offending token in `line`.
 */
int queries_parse_line(const char *line, float *buf, uint32_t cap, uint64_t *count, const char **bad);

#endif
