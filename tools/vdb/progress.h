/*
 * A one-line progress bar on stderr: percent, rate and ETA. Drawn only when
 * stderr is a terminal, so logs and pipes never fill with carriage returns.
 */
#ifndef VDB_CLI_PROGRESS_H
#define VDB_CLI_PROGRESS_H

#include <stdint.h>

typedef struct progress {
    const char *label; /* e.g. "build" */
    const char *unit;  /* e.g. "rows"; the rate is printed in unit/s */
    double unit_scale; /* done/total are divided by this for the rate (1 for rows, 2^20 for MiB) */
    uint64_t total;
    double start;
    double last_draw;
    int enabled;
} progress;

/* Start a bar; `enabled` is forced off when stderr is not a terminal. */
void progress_start(progress *p, const char *label, const char *unit, double unit_scale, uint64_t total, int enabled);
/* Redraw for `done` of `total`, at most ten times a second. */
void progress_update(progress *p, uint64_t done);
/* A vdb_set_progress callback that redraws the bar `context` (started with the call's total); never cancels. */
int progress_report(uint64_t done, uint64_t total, void *context);
/* Erase the bar, leaving the terminal line clean for a summary. */
void progress_finish(progress *p);

#endif
