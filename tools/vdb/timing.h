/* Wall-clock timing for reports and latencies: one monotonic clock for the whole tool. */
#ifndef VDB_CLI_TIMING_H
#define VDB_CLI_TIMING_H

/* Seconds on CLOCK_MONOTONIC: differences are meaningful, absolute values are not. */
double timing_now(void);

#endif
