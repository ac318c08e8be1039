/*
 * CLOCK_MONOTONIC, because a benchmark must not jump when NTP adjusts the
 * wall clock mid-run.
 */
#include "timing.h"

#include <time.h>

double timing_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
