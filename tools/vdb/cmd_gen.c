/*
 * `vdb gen`: deterministic random float32 data sets for tests and benchmarks.
 * Rows are produced and written a chunk at a time, so a file of any size needs
 * only a few MiB of memory. The stream of random numbers is consumed row by
 * row in a fixed order, so the chunk size never changes the data.
 */
#include "cli_args.h"
#include "commands.h"
#include "progress.h"
#include "rng.h"
#include "timing.h"
#include "vector_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The seed project's data set; documented in the help text, so do not change these. */
enum { SEED_SET_COUNT = 100000, SEED_SET_DIM = 384, DEFAULT_SEED = 42, DEFAULT_CLUSTERS = 100 };
enum { MAX_DIM = 65536, CHUNK_FLOATS = 1 << 20 };
/* Below this a progress bar would only flash. */
#define PROGRESS_MIN_BYTES (64.0 * 1024 * 1024)

/* clang-format off: help text is laid out as it prints */
static const char HELP[] = "usage: vdb gen OUT --count N --dim D [options]\n"
                           "       vdb gen OUT --seed-set [--seed S]\n"
                           "\n"
                           "Write random float32 vectors to OUT. The same options and seed always give\n"
                           "the same bytes, on any machine. Rows are streamed, so OUT may be far larger\n"
                           "than memory.\n"
                           "\n"
                           "  --count N       rows to write (required unless --seed-set)\n"
                           "  --dim D         floats per row, 1..65536 (required unless --seed-set)\n"
                           "  --kind K        uniform (default): every float uniform in [0,1)\n"
                           "                  clustered: a Gaussian mixture; C centres uniform in [0,1)^D,\n"
                           "                  each row a random centre plus N(0, sigma^2) per float\n"
                           "  --clusters C    centres for --kind clustered (default 100)\n"
                           "  --sigma S       per-float standard deviation for --kind clustered (default 0.1)\n"
                           "  --seed S        random seed (default 42)\n"
                           "  --format F      raw | fvecs | npy; default from OUT's name: *.fvecs, *.npy,\n"
                           "                  anything else raw (little-endian float32 rows, no header)\n"
                           "  --seed-set      the seed project's data set: 100,000 rows of 384 floats,\n"
                           "                  uniform in [0,1), raw float32, seed 42 unless --seed is given\n"
                           "                  (153,600,000 bytes)\n"
                           "  -h, --help      show this help\n";
/* clang-format on */

typedef struct gen_plan {
    uint64_t count;
    uint32_t dim;
    int clustered;
    uint32_t clusters;
    double sigma;
    uint64_t seed;
    vec_format format;
} gen_plan;

static int write_rows(const char *path, const gen_plan *plan)
{
    rng r;
    rng_seed(&r, plan->seed);
    float *centres = NULL;
    if (plan->clustered) {
        /* The centres come first in the random stream, then the rows. */
        centres = malloc((size_t)plan->clusters * plan->dim * sizeof *centres);
        if (!centres) {
            cli_error("gen", "out of memory for %u centres of %u floats", plan->clusters, plan->dim);
            return -1;
        }
        for (size_t i = 0; i < (size_t)plan->clusters * plan->dim; i++)
            centres[i] = rng_uniform_float(&r);
    }
    uint64_t chunk_rows = CHUNK_FLOATS / plan->dim ? CHUNK_FLOATS / plan->dim : 1;
    float *chunk = malloc((size_t)chunk_rows * plan->dim * sizeof *chunk);
    if (!chunk) {
        free(centres);
        cli_error("gen", "out of memory for a %llu-row chunk", (unsigned long long)chunk_rows);
        return -1;
    }

    vector_writer w;
    if (vector_writer_open(&w, path, plan->format, plan->dim, plan->count) != 0) {
        cli_error("gen", "cannot create '%s': %s", path, strerror(errno));
        free(chunk);
        free(centres);
        return -1;
    }
    double bytes = (double)plan->count * plan->dim * sizeof(float);
    progress bar;
    progress_start(&bar, "gen", "MiB", 1024.0 * 1024.0, (uint64_t)bytes, bytes >= PROGRESS_MIN_BYTES);
    int failed = 0;
    for (uint64_t done = 0; done < plan->count && !failed;) {
        uint64_t n = plan->count - done < chunk_rows ? plan->count - done : chunk_rows;
        for (uint64_t i = 0; i < n; i++) {
            float *row = chunk + i * plan->dim;
            if (plan->clustered) {
                const float *c = centres + rng_below(&r, plan->clusters) * plan->dim;
                for (uint32_t j = 0; j < plan->dim; j++)
                    row[j] = (float)(c[j] + plan->sigma * rng_normal(&r));
            } else {
                for (uint32_t j = 0; j < plan->dim; j++)
                    row[j] = rng_uniform_float(&r);
            }
        }
        if (vector_writer_write(&w, chunk, n) != 0) {
            cli_error("gen", "writing '%s': %s", path, strerror(errno));
            failed = 1;
        }
        done += n;
        progress_update(&bar, (uint64_t)((double)done * plan->dim * sizeof(float)));
    }
    progress_finish(&bar);
    if (vector_writer_close(&w) != 0 && !failed) {
        cli_error("gen", "writing '%s': %s", path, strerror(errno));
        failed = 1;
    }
    /* A half-written file would later look like a valid, shorter data set. */
    if (failed)
        unlink(path);
    free(chunk);
    free(centres);
    return failed ? -1 : 0;
}

int cmd_gen(int argc, char **argv)
{
    gen_plan plan = {0, 0, 0, DEFAULT_CLUSTERS, 0.1, DEFAULT_SEED, VEC_FORMAT_RAW};
    const char *kind = "uniform", *format = NULL;
    int seed_set = 0;
    cli_opt opts[] = {
        {"count", CLI_U64, &plan.count, 0},    {"dim", CLI_U32, &plan.dim, 0},
        {"kind", CLI_STRING, &kind, 0},        {"clusters", CLI_U32, &plan.clusters, 0},
        {"sigma", CLI_DOUBLE, &plan.sigma, 0}, {"seed", CLI_U64, &plan.seed, 0},
        {"format", CLI_STRING, &format, 0},    {"seed-set", CLI_FLAG, &seed_set, 0},
    };
    enum { O_COUNT, O_DIM, O_KIND, O_CLUSTERS, O_SIGMA, O_SEED, O_FORMAT, O_SEED_SET, N_OPTS };
    const char *pos[1];
    size_t npos = 0;
    int parsed = cli_parse("gen", argc, argv, opts, N_OPTS, pos, 1, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(HELP);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos != 1) {
        cli_usage_error("gen", "missing the output file OUT");
        return CLI_EXIT_USAGE;
    }
    const char *out = pos[0];

    if (seed_set) {
        static const int conflicting[] = {O_COUNT, O_DIM, O_KIND, O_CLUSTERS, O_SIGMA, O_FORMAT};
        for (size_t i = 0; i < sizeof conflicting / sizeof *conflicting; i++)
            if (opts[conflicting[i]].seen) {
                cli_usage_error("gen", "--seed-set fixes the data set; it cannot be combined with --%s",
                                opts[conflicting[i]].name);
                return CLI_EXIT_USAGE;
            }
        plan.count = SEED_SET_COUNT;
        plan.dim = SEED_SET_DIM;
        plan.format = VEC_FORMAT_RAW;
    } else {
        if (!opts[O_COUNT].seen || !opts[O_DIM].seen) {
            cli_usage_error("gen", "--count and --dim are required (or --seed-set)");
            return CLI_EXIT_USAGE;
        }
        if (plan.count == 0) {
            cli_usage_error("gen", "--count must be at least 1");
            return CLI_EXIT_USAGE;
        }
        if (plan.dim == 0 || plan.dim > MAX_DIM) {
            cli_usage_error("gen", "--dim must be in 1..%d, not %u", MAX_DIM, plan.dim);
            return CLI_EXIT_USAGE;
        }
        if (strcmp(kind, "uniform") == 0) {
            plan.clustered = 0;
        } else if (strcmp(kind, "clustered") == 0) {
            plan.clustered = 1;
        } else {
            cli_usage_error("gen", "--kind must be uniform or clustered, not '%s'", kind);
            return CLI_EXIT_USAGE;
        }
        if ((opts[O_CLUSTERS].seen || opts[O_SIGMA].seen) && !plan.clustered) {
            cli_usage_error("gen", "--clusters and --sigma need --kind clustered");
            return CLI_EXIT_USAGE;
        }
        if (plan.clusters == 0) {
            cli_usage_error("gen", "--clusters must be at least 1");
            return CLI_EXIT_USAGE;
        }
        if (plan.sigma < 0) {
            cli_usage_error("gen", "--sigma must not be negative");
            return CLI_EXIT_USAGE;
        }
        if (format) {
            int f = vec_format_from_name(format);
            if (f < 0) {
                cli_usage_error("gen", "--format must be raw, fvecs or npy, not '%s'", format);
                return CLI_EXIT_USAGE;
            }
            plan.format = (vec_format)f;
        } else {
            plan.format = vec_format_from_path(out);
        }
        /* Keep byte counts (and .npy shapes) far from 64-bit overflow. */
        if (plan.count > (UINT64_MAX / 8) / ((uint64_t)plan.dim + 1)) {
            cli_usage_error("gen", "--count %llu x --dim %u is too large", (unsigned long long)plan.count, plan.dim);
            return CLI_EXIT_USAGE;
        }
    }
    /* libvdb picks a file's format from its name, so a mismatch would be misread later. */
    if (plan.format != vec_format_from_path(out))
        cli_error("gen", "warning: '%s' will hold %s data, but libvdb will read it as %s because of its name", out,
                  vec_format_name(plan.format), vec_format_name(vec_format_from_path(out)));

    double start = timing_now();
    if (write_rows(out, &plan) != 0)
        return CLI_EXIT_FAIL;
    double seconds = timing_now() - start;
    double mib = (double)plan.count * plan.dim * sizeof(float) / (1024.0 * 1024.0);
    printf("wrote %llu x %u %s float32 (%s, seed %llu) to %s: %.1f MiB in %.2f s\n", (unsigned long long)plan.count,
           plan.dim, plan.clustered ? "clustered" : "uniform", vec_format_name(plan.format),
           (unsigned long long)plan.seed, out, mib, seconds);
    return CLI_EXIT_OK;
}
