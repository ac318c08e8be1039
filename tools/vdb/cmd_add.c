/*
 * `vdb add` and `vdb upsert`: put the rows of a vector file into an index
 * file and save it. The two differ only in the library call and in what an
 * id the index already holds means (an error, or a vector to replace).
 *
 * Everything that can be wrong with the input (row and id counts, NaN/Inf,
 * ids repeated or, for add, already held) is checked before the first row
 * goes in, so a mistake in the last row costs no wasted work and every
 * message can name the row. An add of rows that lie end to end in the
 * file is one vdb_add, which draws the bar through its progress callback;
 * other rows (.fvecs, and every upsert, which reports no progress) go in
 * chunks, copied where they must be, with the bar drawn between them. A
 * failure changes nothing on disk, since the index is saved at the end.
 */
#include "cli_args.h"
#include "commands.h"
#include "id_files.h"
#include "index_edit.h"
#include "progress.h"
#include "timing.h"
#include "vector_files.h"

#include "vdb.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK_MIN = 4096 };

typedef enum { MODE_ADD, MODE_UPSERT } add_mode;

/* clang-format off: help text is laid out as it prints */
static const char ADD_HELP[] = "usage: vdb add INDEX VECTORS [--ids FILE] [options]\n"
                               "\n"
                               "Add the rows of VECTORS to INDEX and save INDEX in place. VECTORS is raw\n"
                               "float32 rows of INDEX's dimension, .fvecs or .npy. All or nothing: one bad\n"
                               "row or id and nothing is added. The save is atomic: INDEX is replaced by a\n"
                               "complete new file, or left exactly as it was.\n"
                               "\n"
                               "Row i gets the i-th id of --ids FILE; without --ids the rows get the ids\n"
                               "after the largest id INDEX holds (0, 1, 2, ... for an empty index). An id\n"
                               "INDEX already holds is an error: 'vdb upsert' replaces vectors.\n"
                               "\n"
                               "  --ids FILE      an id for each row of VECTORS, in order: a text file of one\n"
                               "                  decimal id per line (blank lines skipped; '-' reads stdin),\n"
                               "                  or a .npy array of int32, uint32, int64 or uint64; an id is\n"
                               "                  0..18446744073709551614\n"
                               "  --threads T     threads linking the rows in, 0 = all cores (default 0)\n"
                               "  --output FILE   save the changed index to FILE, leaving INDEX as it is\n"
                               "  --recover       apply the intact commits of a damaged INDEX-journal and\n"
                               "                  drop the rest: the journal is cut there for good (even\n"
                               "                  with --output, or when the change then fails)\n"
                               "  -h, --help      show this help\n"
                               "\n"
                               "INDEX is checked completely (as 'vdb verify' does) before it is changed,\n"
                               "and locked so that two commands changing it at once wait for each other.\n"
                               "Changes a program committed to INDEX's journal (INDEX-journal) are applied\n"
                               "first, and the save in place keeps them too and empties the journal; while\n"
                               "a program holds INDEX open writable the command fails, changing nothing.\n"
                               "A journal damaged before its last commit fails the command, changing\n"
                               "nothing, unless --recover is given.\n"
                               "A progress bar is drawn on stderr when it is a terminal. The summary names\n"
                               "the ids given and the live and deleted vector counts after the change.\n";

static const char UPSERT_HELP[] = "usage: vdb upsert INDEX VECTORS --ids FILE [options]\n"
                                  "\n"
                                  "Put row i of VECTORS into INDEX under the i-th id of FILE: a new id is\n"
                                  "added, an id INDEX holds has its vector replaced. Then save INDEX in\n"
                                  "place. VECTORS is raw float32 rows of INDEX's dimension, .fvecs or .npy.\n"
                                  "All or nothing, the save is atomic, and INDEX's journal (damaged too, with\n"
                                  "--recover) and a program holding INDEX writable are dealt with, as for\n"
                                  "'vdb add'.\n"
                                  "\n"
                                  "  --ids FILE      an id for each row of VECTORS, each id once: a text file\n"
                                  "                  of one decimal id per line (blank lines skipped; '-' reads\n"
                                  "                  stdin), or a .npy array of int32, uint32, int64 or uint64\n"
                                  "  --threads T     threads linking the rows in, 0 = all cores (default 0)\n"
                                  "  --output FILE   save the changed index to FILE, leaving INDEX as it is\n"
                                  "  --recover       apply the intact commits of a damaged INDEX-journal and\n"
                                  "                  drop the rest: the journal is cut there for good (even\n"
                                  "                  with --output, or when the change then fails)\n"
                                  "  -h, --help      show this help\n"
                                  "\n"
                                  "The summary counts the ids replaced and added; a replaced vector counts as\n"
                                  "deleted, and the save leaves it out of the file.\n";
/* clang-format on */

typedef struct add_job {
    const char *cmd;
    add_mode mode;
    const char *index_path;
    const char *vectors_path;
    const char *ids_path; /* NULL: the library's next ids (add only) */
    id_list ids;
    vdb_vectors *vectors;
    vdb_index *index;
    uint64_t rows;
    uint32_t dim;
} add_job;

/* Every row is a whole row of finite floats; one message naming the first that is not. */
static int check_rows(const add_job *job)
{
    for (uint64_t row = 0; row < job->rows; row++) {
        const float *v = vdb_vectors_row(job->vectors, row);
        if (!v) {
            cli_error(job->cmd, "row %llu of '%s' is not a %u-float row; nothing was changed", (unsigned long long)row,
                      job->vectors_path, job->dim);
            return -1;
        }
        for (uint32_t j = 0; j < job->dim; j++)
            if (!isfinite(v[j])) {
                cli_error(job->cmd, "row %llu of '%s' holds %s at column %u; nothing was changed",
                          (unsigned long long)row, job->vectors_path, isnan(v[j]) ? "NaN" : "Inf", j);
                return -1;
            }
    }
    return 0;
}

/* The ids fit the rows: one each, none twice, and for add none the index holds. */
static int check_ids(const add_job *job)
{
    if (job->ids.count != job->rows) {
        cli_error(job->cmd, "'%s' holds %llu ids, but '%s' has %llu rows: give one id per row; nothing was changed",
                  job->ids_path, (unsigned long long)job->ids.count, job->vectors_path, (unsigned long long)job->rows);
        return -1;
    }
    uint64_t id, first, second;
    int repeat = id_list_find_repeat(&job->ids, &id, &first, &second);
    if (repeat < 0) {
        cli_error(job->cmd, "out of memory checking %llu ids", (unsigned long long)job->ids.count);
        return -1;
    }
    if (repeat) {
        cli_error(job->cmd, "'%s' gives id %llu twice (rows %llu and %llu); nothing was changed", job->ids_path,
                  (unsigned long long)id, (unsigned long long)first, (unsigned long long)second);
        return -1;
    }
    if (job->mode != MODE_ADD)
        return 0;
    float *scratch = malloc((size_t)job->dim * sizeof *scratch);
    if (!scratch) {
        cli_error(job->cmd, "out of memory");
        return -1;
    }
    int status = 0;
    for (uint64_t row = 0; row < job->rows && status == 0; row++) {
        int rc = vdb_get(job->index, job->ids.ids[row], scratch);
        if (rc == VDB_OK) {
            cli_error(job->cmd,
                      "id %llu (row %llu) is already in '%s'; nothing was changed ('vdb upsert' replaces vectors)",
                      (unsigned long long)job->ids.ids[row], (unsigned long long)row, job->index_path);
            status = -1;
        } else if (rc != VDB_ENOTFOUND) {
            cli_lib_error(job->cmd, rc, "looking up id %llu", (unsigned long long)job->ids.ids[row]);
            status = -1;
        }
    }
    free(scratch);
    return status;
}

/* Whether rows first .. first + n - 1 lie end to end in the mapping, so they can be passed as they are. */
static int rows_adjacent(const add_job *job, uint64_t first, uint64_t n)
{
    return n == 0 || vdb_vectors_row(job->vectors, first + n - 1) ==
                         vdb_vectors_row(job->vectors, first) + (size_t)(n - 1) * job->dim;
}

/* Every row in one vdb_add, straight from the mapping, the bar drawn by the library's progress reports. */
static int add_all_at_once(const add_job *job, progress *bar)
{
    int rc = bar->enabled ? vdb_set_progress(job->index, progress_report, bar) : VDB_OK;
    if (rc == VDB_OK)
        rc = vdb_add(job->index, vdb_vectors_row(job->vectors, 0), job->rows, job->ids_path ? job->ids.ids : NULL);
    vdb_set_progress(job->index, NULL, NULL);
    if (rc == VDB_OK)
        return 0;
    progress_finish(bar);
    cli_lib_error(job->cmd, rc, "rows 0..%llu of '%s'", (unsigned long long)(job->rows - 1), job->vectors_path);
    return -1;
}

/* Link all rows in: at once when they are an add of adjacent rows, else a chunk at a time. */
static int add_rows(const add_job *job, double *seconds)
{
    uint64_t chunk = job->rows / 100 > CHUNK_MIN ? job->rows / 100 : CHUNK_MIN;
    float *copy = NULL;
    progress bar;
    progress_start(&bar, job->cmd, "rows", 1, job->rows, 1);
    double start = timing_now();
    int status = 0;
    if (job->mode == MODE_ADD && rows_adjacent(job, 0, job->rows)) {
        status = add_all_at_once(job, &bar);
        *seconds = timing_now() - start;
        progress_finish(&bar);
        return status;
    }
    for (uint64_t done = 0; done < job->rows && status == 0;) {
        uint64_t n = job->rows - done < chunk ? job->rows - done : chunk;
        const float *rows = vdb_vectors_row(job->vectors, done);
        if (!rows_adjacent(job, done, n)) {
            if (!copy && !(copy = malloc((size_t)chunk * job->dim * sizeof *copy))) {
                cli_error(job->cmd, "out of memory for %llu rows", (unsigned long long)chunk);
                status = -1;
                break;
            }
            for (uint64_t i = 0; i < n; i++)
                memcpy(copy + i * job->dim, vdb_vectors_row(job->vectors, done + i), job->dim * sizeof *copy);
            rows = copy;
        }
        const uint64_t *ids = job->ids_path ? job->ids.ids + done : NULL;
        int rc = job->mode == MODE_ADD ? vdb_add(job->index, rows, n, ids) : vdb_upsert(job->index, rows, n, ids);
        if (rc != VDB_OK) {
            progress_finish(&bar);
            cli_lib_error(job->cmd, rc, "rows %llu..%llu of '%s'", (unsigned long long)done,
                          (unsigned long long)(done + n - 1), job->vectors_path);
            status = -1;
            break;
        }
        done += n;
        progress_update(&bar, done);
    }
    *seconds = timing_now() - start;
    progress_finish(&bar);
    free(copy);
    return status;
}

typedef struct id_floor {
    uint64_t least;
} id_floor;

static int allow_from_floor(uint64_t id, void *ctx) { return id >= ((const id_floor *)ctx)->least; }

/*
 * Whether the index holds an id >= least: a filtered search that allows only
 * those. When few are allowed the library scans them all, and a graph search
 * that meets few allowed ids walks on until it runs out of nodes, so an
 * answer "none" is reliable. *found_id is the id found.
 */
static int holds_id_from(const vdb_index *index, const float *query, uint64_t least, uint64_t *found_id)
{
    id_floor limit = {least};
    vdb_filter *filter;
    if (vdb_filter_from_fn(&filter, allow_from_floor, &limit) != VDB_OK)
        return -1;
    uint32_t found = 0;
    int rc = vdb_search_filtered(index, query, 1, 0, filter, found_id, NULL, &found);
    vdb_filter_close(filter);
    return rc != VDB_OK ? -1 : found > 0;
}

/*
 * The ids the library gave the rows: the last `rows` ids up to the largest id
 * the index now holds. The API does not return them, so they are found (a
 * binary search over ids) and then confirmed by reading back the vectors of
 * the first and last id. 0 with *first set, or -1 when they cannot be told.
 */
static int find_given_ids(const add_job *job, uint64_t *first)
{
    const float *row0 = vdb_vectors_row(job->vectors, 0), *row_last = vdb_vectors_row(job->vectors, job->rows - 1);
    uint64_t lo, hi = ID_MAX, x;
    if (holds_id_from(job->index, row0, 0, &lo) != 1)
        return -1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2 + 1;
        int held = holds_id_from(job->index, row0, mid, &x);
        if (held < 0)
            return -1;
        if (held)
            lo = x;
        else
            hi = mid - 1;
    }
    if (lo < job->rows - 1)
        return -1;
    uint64_t start = lo - (job->rows - 1);
    float *v = malloc((size_t)job->dim * sizeof *v);
    int ok = v && vdb_get(job->index, start, v) == VDB_OK && memcmp(v, row0, job->dim * sizeof *v) == 0 &&
             vdb_get(job->index, lo, v) == VDB_OK && memcmp(v, row_last, job->dim * sizeof *v) == 0;
    free(v);
    if (!ok)
        return -1;
    *first = start;
    return 0;
}

/* "as ids 5..9", "as id 5", or "as the ids in FILE" when they are not one ascending run. */
static void describe_ids(const add_job *job, char *buf, size_t size)
{
    uint64_t first;
    int run = 1;
    if (job->ids_path) {
        first = job->ids.ids[0];
        for (uint64_t i = 1; i < job->ids.count && run; i++)
            run = job->ids.ids[i] == job->ids.ids[i - 1] + 1;
    } else {
        run = find_given_ids(job, &first) == 0;
    }
    if (run && job->rows == 1)
        snprintf(buf, size, "as id %llu", (unsigned long long)first);
    else if (run)
        snprintf(buf, size, "as ids %llu..%llu", (unsigned long long)first,
                 (unsigned long long)(first + job->rows - 1));
    else if (job->ids_path)
        snprintf(buf, size, "as the ids in %s", strcmp(job->ids_path, "-") == 0 ? "stdin" : job->ids_path);
    else
        snprintf(buf, size, "as the ids after the largest id the index held");
}

static int run_add(add_mode mode, int argc, char **argv)
{
    const char *cmd = mode == MODE_ADD ? "add" : "upsert";
    const char *ids_path = NULL, *output = NULL;
    uint32_t threads = 0;
    int recover = 0;
    cli_opt opts[] = {
        {"ids", CLI_STRING, &ids_path, 0},
        {"threads", CLI_U32, &threads, 0},
        {"output", CLI_STRING, &output, 0},
        {"recover", CLI_FLAG, &recover, 0},
    };
    const char *pos[2];
    size_t npos = 0;
    int parsed = cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof *opts, pos, 2, &npos);
    if (parsed == CLI_HELP) {
        cli_print_help(mode == MODE_ADD ? ADD_HELP : UPSERT_HELP);
        return CLI_EXIT_OK;
    }
    if (parsed != CLI_PARSED)
        return CLI_EXIT_USAGE;
    if (npos != 2) {
        cli_usage_error(cmd, "expected INDEX and VECTORS");
        return CLI_EXIT_USAGE;
    }
    if (mode == MODE_UPSERT && !ids_path) {
        cli_usage_error(cmd, "--ids FILE is required: upsert puts each row under the id given for it");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(pos[1], "-") == 0) {
        cli_usage_error(cmd, "VECTORS must be a file (raw float32, .fvecs or .npy), not stdin");
        return CLI_EXIT_USAGE;
    }

    add_job job = {cmd, mode, pos[0], pos[1], ids_path, {0}, NULL, NULL, 0, 0};
    if (ids_path && id_list_read(cmd, ids_path, &job.ids) != 0)
        return CLI_EXIT_FAIL;
    index_edit edit;
    if (index_edit_open(cmd, pos[0], output, recover, &edit) != 0) {
        id_list_free(&job.ids);
        return CLI_EXIT_FAIL;
    }
    job.index = edit.index;
    job.dim = vdb_dim(edit.index);
    int status = CLI_EXIT_FAIL;
    int rc = vdb_set_threads(edit.index, threads);
    if (rc != VDB_OK) {
        cli_lib_error(cmd, rc, "--threads %u", threads);
        status = CLI_EXIT_USAGE;
        goto done;
    }
    /* A raw file is read at the index's dimension; others carry their own, compared here for a clearer message. */
    rc = vdb_vectors_open(&job.vectors, job.vectors_path, vec_file_needs_dim(job.vectors_path) ? job.dim : 0);
    if (rc != VDB_OK) {
        job.vectors = NULL;
        cli_file_error(cmd, rc, "cannot read vectors", job.vectors_path);
        goto done;
    }
    if (vdb_vectors_dim(job.vectors) != job.dim) {
        cli_error(cmd, "dimension mismatch: '%s' has %u floats per row, the index '%s' has %u; nothing was changed",
                  job.vectors_path, vdb_vectors_dim(job.vectors), edit.path, job.dim);
        goto done;
    }
    job.rows = vdb_vectors_count(job.vectors);
    if (job.rows == 0) {
        cli_error(cmd, "'%s' holds no rows; nothing was changed", job.vectors_path);
        goto done;
    }
    if (check_rows(&job) != 0 || (ids_path && check_ids(&job) != 0))
        goto done;

    uint64_t live_before = vdb_count(edit.index);
    double seconds;
    if (add_rows(&job, &seconds) != 0) {
        cli_error(cmd, "nothing was saved; '%s' is as it was", edit.path);
        goto done;
    }
    char ids_text[256];
    describe_ids(&job, ids_text, sizeof ids_text);
    double save_start = timing_now();
    if (index_edit_save(cmd, &edit) != 0)
        goto done;
    double save_seconds = timing_now() - save_start;

    uint64_t live = vdb_count(edit.index), deleted = vdb_deleted(edit.index);
    double rate = seconds > 0 ? (double)job.rows / seconds : 0;
    if (mode == MODE_ADD) {
        printf("added %llu %s of %s %s in %.2f s (%.0f rows/s), saved in %.2f s -> %s: %llu live, %llu deleted\n",
               (unsigned long long)job.rows, job.rows == 1 ? "row" : "rows", job.vectors_path, ids_text, seconds, rate,
               save_seconds, index_edit_destination(&edit), (unsigned long long)live, (unsigned long long)deleted);
    } else {
        uint64_t added = live - live_before;
        printf("upserted %llu %s of %s %s (%llu replaced, %llu new) in %.2f s (%.0f rows/s), saved in %.2f s -> "
               "%s: %llu live, %llu deleted\n",
               (unsigned long long)job.rows, job.rows == 1 ? "row" : "rows", job.vectors_path, ids_text,
               (unsigned long long)(job.rows - added), (unsigned long long)added, seconds, rate, save_seconds,
               index_edit_destination(&edit), (unsigned long long)live, (unsigned long long)deleted);
    }
    status = CLI_EXIT_OK;
done:
    vdb_vectors_close(job.vectors);
    index_edit_close(&edit);
    id_list_free(&job.ids);
    if (status == CLI_EXIT_OK && (fflush(stdout) != 0 || ferror(stdout))) {
        cli_error(cmd, "writing the summary failed (the index was saved)");
        status = CLI_EXIT_FAIL;
    }
    return status;
}

int cmd_add(int argc, char **argv) { return run_add(MODE_ADD, argc, argv); }

int cmd_upsert(int argc, char **argv) { return run_add(MODE_UPSERT, argc, argv); }
