/* The process's peak resident set size, for the benchmark report. */
#ifndef VDB_CLI_PEAK_RSS_H
#define VDB_CLI_PEAK_RSS_H

#include <stdint.h>

/* Peak RSS in bytes so far (getrusage ru_maxrss), 0 when unknown. */
uint64_t peak_rss_bytes(void);

#endif
