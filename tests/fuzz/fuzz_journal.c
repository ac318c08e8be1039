/*
 * libFuzzer target for the journal a vdb_open replays: each input (a
 * control byte, then the bytes, journal_input.h) is written as the journal
 * beside a small fixed index, which is then opened read-only and with
 * VDB_OPEN_RECOVER; when the control byte asks, also writable and
 * writable|recover, each followed by an add, a delete, a vdb_commit and a
 * read-only reopen, and on some inputs a checkpoint (a vdb_save over the
 * index, which is then put back). Any error code is fine; what is checked:
 *  - what opened searches sanely: found <= k and <= vdb_count, distinct ids
 *    that vdb_get finds at the distance returned, nearest first, empty slots
 *    marked; a filtered search returns allowed ids only;
 *  - a journal that opens without VDB_OPEN_RECOVER opens with it, to the
 *    same ids and vectors;
 *  - a writable open replays what a read-only one does (the same ids and
 *    vectors, or both refuse), and after its own change and commit the
 *    journal it leaves (and the file a checkpoint leaves) opens read-only to
 *    the change made.
 */
#include "fuzz_input.h"
#include "journal_input.h"

#include <vdb.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K = 8, EF = 16, MAX_INPUT = 1 << 14, DIM = FUZZ_JOURNAL_DIM };

/* Ids the seeds' journals change (make_journal_seeds.c), the index's ends, and the largest id there can be. */
static const uint64_t PROBES[] = {0, 1, 2, 3, 4, 5, 30, 31, 32, 33, 100, 101, 102, 200, 300, UINT64_MAX - 1};
enum { PROBE_COUNT = sizeof PROBES / sizeof PROBES[0] };

/* An id no seed uses, for the change a writable open makes. */
static const uint64_t ADDED_ID = 777777;

static const char *index_path; /* the journal, "<index_path>-journal", is fuzz_input.h's input file */
static fuzz_journal_base index_base;
static uint8_t *index_bytes; /* the index file, to put back after a checkpoint replaced it */
static size_t index_size;
static int trace; /* VDB_FUZZ_JOURNAL_TRACE=1: a line per open on stderr, to see what a seed does */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    (void)fuzz_input_path("index.vdb-journal");
    index_path = fuzz_input_other("index.vdb");
    index_base = fuzz_journal_make_index(index_path);
    FILE *file = fopen(index_path, "rb");
    index_size = (size_t)index_base.length;
    index_bytes = malloc(index_size);
    if (!file || !index_bytes || fread(index_bytes, 1, index_size, file) != index_size)
        abort();
    fclose(file);
    const char *env = getenv("VDB_FUZZ_JOURNAL_TRACE");
    trace = env && *env == '1';
    return 0;
}

static void fail(const char *what, uint32_t flags)
{
    fprintf(stderr, "fuzz_journal: %s (open flags %u); last error: %s\n", what, flags, vdb_last_error());
    abort();
}

/* What an opened index holds, as far as the probes see. */
typedef struct {
    int code; /* of the open */
    uint64_t count, deleted;
    int got[PROBE_COUNT];
    float rows[PROBE_COUNT][DIM];
} state;

static int same_state(const state *a, const state *b)
{
    if (a->count != b->count || a->deleted != b->deleted)
        return 0;
    for (int i = 0; i < PROBE_COUNT; i++)
        if (a->got[i] != b->got[i] || (a->got[i] == VDB_OK && memcmp(a->rows[i], b->rows[i], sizeof a->rows[i])))
            return 0;
    return 1;
}

/* A failure that says nothing about the journal: out of memory, or the file system refused. */
static int environmental(int code) { return code == VDB_ENOMEM || code == VDB_EIO || code == VDB_ENOSPC; }

static float l2(const float *a, const float *b)
{
    float sum = 0;
    for (int d = 0; d < DIM; d++)
        sum += (a[d] - b[d]) * (a[d] - b[d]);
    return sum;
}

static void check_results(const vdb_index *index, const float *query, const uint64_t *ids, const float *distances,
                          uint32_t found, uint32_t flags)
{
    if (found > K || found > vdb_count(index))
        fail("a search found more than k, or more than vdb_count", flags);
    float row[DIM];
    for (uint32_t i = 0; i < K; i++) {
        if (i >= found) {
            if (ids[i] != UINT64_MAX || !(isinf(distances[i]) && distances[i] > 0))
                fail("a slot past found is not UINT64_MAX / +inf", flags);
            continue;
        }
        for (uint32_t j = 0; j < i; j++)
            if (ids[j] == ids[i])
                fail("a search returned an id twice", flags);
        if (i > 0 && distances[i] < distances[i - 1])
            fail("a search's results are not nearest first", flags);
        int code = vdb_get(index, ids[i], row);
        if (code == VDB_ENOMEM)
            continue;
        if (code != VDB_OK)
            fail("a search returned an id vdb_get does not find", flags);
        float want = l2(query, row);
        if (isfinite(want) && isfinite(distances[i]) &&
            fabsf(want - distances[i]) > 1e-4f * (fabsf(want) + fabsf(distances[i])) + 1e-6f)
            fail("a search's distance is not that of the vector vdb_get gives", flags);
    }
}

static void search_index(const vdb_index *index, uint32_t flags)
{
    float query[DIM];
    fuzz_journal_row(3, query);
    query[0] += 0.5f;
    uint64_t ids[K];
    float distances[K];
    uint32_t found = 0;
    int code = vdb_search(index, query, K, EF, ids, distances, &found);
    if (code == VDB_OK)
        check_results(index, query, ids, distances, found, flags);
    else if (code != VDB_ENOMEM)
        fail("vdb_search refused a good query", flags);

    vdb_filter *filter = NULL;
    if (vdb_filter_create(&filter, PROBES, PROBE_COUNT) != VDB_OK)
        return;
    code = vdb_search_filtered(index, query, K, EF, filter, ids, distances, &found);
    vdb_filter_close(filter);
    if (code != VDB_OK)
        return;
    check_results(index, query, ids, distances, found, flags);
    for (uint32_t i = 0; i < found; i++) {
        int allowed = 0;
        for (int j = 0; j < PROBE_COUNT; j++)
            allowed |= ids[i] == PROBES[j];
        if (!allowed)
            fail("a filtered search returned an id the filter does not allow", flags);
    }
}

static void read_state(const vdb_index *index, state *s, uint32_t flags)
{
    s->count = vdb_count(index);
    s->deleted = vdb_deleted(index);
    for (int i = 0; i < PROBE_COUNT; i++) {
        s->got[i] = vdb_get(index, PROBES[i], s->rows[i]);
        if (s->got[i] != VDB_OK && s->got[i] != VDB_ENOTFOUND && s->got[i] != VDB_ENOMEM)
            fail("vdb_get of a valid id failed", flags);
    }
    search_index(index, flags);
}

/* The journal, edited as the control byte asks. */
static uint8_t *journal;
static size_t journal_size;

static void write_journal(void) { fuzz_input_write(journal, journal_size); }

static void put_index_back(void)
{
    FILE *file = fopen(index_path, "wb");
    if (!file || fwrite(index_bytes, 1, index_size, file) != index_size || fclose(file) != 0)
        abort();
}

/* Open with flags after writing the journal afresh; *s gets the state. The index stays open (NULL if it failed). */
static vdb_index *open_index(uint32_t flags, state *s)
{
    write_journal();
    vdb_index *index = NULL;
    memset(s, 0, sizeof *s);
    s->code = vdb_open(&index, index_path, flags);
    if (s->code == VDB_OK)
        read_state(index, s, flags);
    if (trace)
        fprintf(stderr, "fuzz_journal: open flags %2u: %s, count %llu, deleted %llu%s%s\n", flags,
                vdb_strerror(s->code), (unsigned long long)s->count, (unsigned long long)s->deleted,
                s->code ? ": " : "", s->code ? vdb_last_error() : "");
    return index;
}

/* The journal (and file) as the writer left them, not the input: what it opened to, with its change. */
static void reopen(uint32_t flags, const state *s, int added, int deleted)
{
    vdb_index *index = NULL;
    int code = vdb_open(&index, index_path, VDB_OPEN_DEFAULT);
    if (environmental(code))
        return;
    if (code != VDB_OK)
        fail("the journal a writable open committed to does not open", flags);
    uint64_t want = s->count + (uint64_t)added - (deleted >= 0);
    float row[DIM];
    if (vdb_count(index) != want)
        fail("a reopen does not hold the count the writer committed", flags);
    float added_row[DIM];
    fuzz_journal_row(ADDED_ID, added_row);
    code = vdb_get(index, ADDED_ID, row);
    if (added && (code == VDB_ENOTFOUND || (code == VDB_OK && memcmp(row, added_row, sizeof row) != 0)))
        fail("a reopen lacks the vector the writer added and committed", flags);
    if (deleted >= 0 && vdb_get(index, PROBES[deleted], row) == VDB_OK)
        fail("a reopen holds the vector the writer deleted and committed", flags);
    search_index(index, flags);
    vdb_close(index);
}

/*
 * A writable open must replay what the read-only one with the same recover
 * flag did; then an add, a checkpoint with `save`, a delete of a probe it
 * holds and a commit, and the journal (and file) so left must open
 * read-only to exactly that.
 */
static void writable_round(uint32_t flags, const state *read_only, int save)
{
    state s;
    vdb_index *index = open_index(flags, &s);
    if (environmental(s.code) || environmental(read_only->code)) {
        vdb_close(index);
        return;
    }
    if ((s.code == VDB_OK) != (read_only->code == VDB_OK))
        fail(s.code == VDB_OK ? "a writable open took a journal a read-only open refused"
                              : "a writable open refused a journal a read-only open took",
             flags);
    if (s.code != VDB_OK)
        return;
    if (!same_state(&s, read_only))
        fail("a writable open replayed the journal to other ids or vectors than a read-only one", flags);

    float row[DIM];
    fuzz_journal_row(ADDED_ID, row);
    int code = vdb_add(index, row, 1, &ADDED_ID);
    int added = code == VDB_OK;
    if (!added && code != VDB_EEXIST && !environmental(code))
        fail("vdb_add after a replay", flags);
    if (save && (code = vdb_save(index, index_path)) != VDB_OK && !environmental(code))
        fail("a checkpoint (vdb_save over the index's own file)", flags);
    int deleted = -1; /* which probe was deleted */
    for (int i = 0; i < PROBE_COUNT && deleted < 0; i++)
        if (s.got[i] == VDB_OK && PROBES[i] != ADDED_ID)
            deleted = i;
    if (deleted >= 0 && (code = vdb_delete(index, &PROBES[deleted], 1)) != VDB_OK) {
        if (!environmental(code))
            fail("vdb_delete of an id vdb_get found", flags);
        deleted = -1;
    }
    code = vdb_commit(index);
    vdb_close(index);
    if (code == VDB_OK)
        reopen(flags, &s, added, deleted);
    else if (!environmental(code))
        fail("vdb_commit", flags);
    if (save)
        put_index_back();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT)
        return 0; /* each replayed vector is linked into the graph: big inputs only make runs slow */
    uint8_t control = size ? data[0] : 0;
    journal_size = size ? size - 1 : 0;
    journal = malloc(journal_size ? journal_size : 1);
    if (!journal)
        abort();
    if (journal_size)
        memcpy(journal, data + 1, journal_size);
    if (control & FUZZ_JOURNAL_FIX_BASE)
        fuzz_journal_set_base(journal, journal_size, index_base);
    if (control & (FUZZ_JOURNAL_FIX_RECORDS | FUZZ_JOURNAL_CHECKPOINT))
        fuzz_journal_fix_records(journal, journal_size, (control & FUZZ_JOURNAL_FIX_RECORDS) != 0,
                                 control & FUZZ_JOURNAL_CHECKPOINT ? &index_base : NULL);

    state plain, recover;
    vdb_close(open_index(VDB_OPEN_DEFAULT, &plain));
    vdb_close(open_index(VDB_OPEN_RECOVER, &recover));
    if (plain.code == VDB_OK && !environmental(recover.code) &&
        (recover.code != VDB_OK || !same_state(&plain, &recover)))
        fail("a journal that opens plainly opens otherwise with VDB_OPEN_RECOVER", VDB_OPEN_RECOVER);
    if (control & FUZZ_JOURNAL_WRITABLE) {
        int save = (control & FUZZ_JOURNAL_SAVE) != 0;
        writable_round(VDB_OPEN_WRITABLE, &plain, save);
        writable_round(VDB_OPEN_WRITABLE | VDB_OPEN_RECOVER, &recover, save);
    }
    free(journal);
    return 0;
}
