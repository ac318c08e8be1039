/*
 * The progress bar. The rate is the average since the start rather than a
 * recent window: builds slow down as the graph grows, and an average gives an
 * ETA that errs on the short side but never jumps around.
 */
#include "progress.h"

#include "timing.h"

#include <stdio.h>
#include <unistd.h>

enum { BAR_WIDTH = 30 };

void progress_start(progress *p, const char *label, const char *unit, double unit_scale, uint64_t total, int enabled)
{
    p->label = label;
    p->unit = unit;
    p->unit_scale = unit_scale > 0 ? unit_scale : 1;
    p->total = total;
    p->start = timing_now();
    p->last_draw = 0;
    p->enabled = enabled && isatty(fileno(stderr));
}

static void format_eta(char *buf, size_t size, double seconds)
{
    if (!(seconds >= 0) || seconds > 360000) {
        snprintf(buf, size, "--:--");
        return;
    }
    unsigned s = (unsigned)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%u:%02u", s / 60, s % 60);
}

void progress_update(progress *p, uint64_t done)
{
    if (!p->enabled)
        return;
    double now = timing_now();
    if (done < p->total && now - p->last_draw < 0.1)
        return;
    p->last_draw = now;
    double fraction = p->total ? (double)done / (double)p->total : 1.0;
    if (fraction > 1)
        fraction = 1;
    double elapsed = now - p->start;
    double rate = elapsed > 0 ? (double)done / p->unit_scale / elapsed : 0;
    double eta = rate > 0 ? (double)(p->total - done) / p->unit_scale / rate : -1;
    char bar[BAR_WIDTH + 1];
    int filled = (int)(fraction * BAR_WIDTH);
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    char eta_text[16];
    format_eta(eta_text, sizeof eta_text, eta);
    /* \033[K clears what a longer earlier line left behind. */
    fprintf(stderr, "\r%s [%s] %5.1f%%  %.0f %s/s  ETA %s\033[K", p->label, bar, fraction * 100, rate, p->unit,
            eta_text);
    fflush(stderr);
}

void progress_finish(progress *p)
{
    if (!p->enabled)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

int progress_report(uint64_t done, uint64_t total, void *context)
{
    (void)total; /* the bar was started with the same count */
    progress_update(context, done);
    return 0;
}
