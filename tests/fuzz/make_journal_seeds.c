/*
 * The seeds of fuzz_journal (corpus/fuzz_journal/), written by the library
 * itself: the fuzz target's index is opened writable, changed and
 * committed, and the journal's bytes copied, some then cut, damaged or
 * given a checkpoint record by hand. Each seed is a control byte, then the
 * journal (journal_input.h). make_corpus.sh runs it:
 *
 *   make_journal_seeds OUT_DIR
 *
 * Deterministic: the index and every change are fixed, so the same library
 * writes the same bytes.
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "file/checksum.h"
#include "file/journal.h"
#include "journal_input.h"

#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { W = FUZZ_JOURNAL_WRITABLE, B = FUZZ_JOURNAL_FIX_BASE, R = FUZZ_JOURNAL_FIX_RECORDS };
enum { C = FUZZ_JOURNAL_CHECKPOINT, S = FUZZ_JOURNAL_SAVE, MAX_JOURNAL = 1 << 14, DIM = FUZZ_JOURNAL_DIM };

/* A file the journal may name that is not the fuzzed index. */
static const fuzz_journal_base OTHER_FILE = {0x0badf00du, 8192};

static char index_path[512], journal_path[512];
static const char *out_dir;
static fuzz_journal_base base;

typedef struct {
    uint8_t bytes[MAX_JOURNAL];
    size_t size;
} journal;

static void fail(const char *what)
{
    fprintf(stderr, "make_journal_seeds: %s: %s\n", what, vdb_last_error());
    exit(1);
}

static void check(int code, const char *what)
{
    if (code != VDB_OK)
        fail(what);
}

/* The index, opened writable on a new journal. */
static vdb_index *start(void)
{
    unlink(journal_path);
    vdb_index *index = NULL;
    check(vdb_open(&index, index_path, VDB_OPEN_WRITABLE), "vdb_open");
    return index;
}

/* The journal's bytes as they are now (an open writer drops its uncommitted tail at vdb_close). */
static journal *snapshot(void)
{
    journal *j = calloc(1, sizeof *j);
    FILE *file = fopen(journal_path, "rb");
    if (!j || !file)
        fail("reading the journal");
    j->size = fread(j->bytes, 1, sizeof j->bytes, file);
    if (!feof(file))
        fail("the journal is over MAX_JOURNAL");
    fclose(file);
    return j;
}

static journal *finish(vdb_index *index)
{
    journal *j = snapshot();
    vdb_close(index);
    return j;
}

/* Vectors for ids (fuzz_journal_row), or for first, first + 1, ... with ids NULL. */
static void change(vdb_index *index, vdb_record_type type, const uint64_t *ids, uint64_t n, uint64_t first)
{
    float rows[64][DIM];
    if (n > 64)
        fail("a change of over 64 vectors");
    for (uint64_t i = 0; i < n; i++) {
        fuzz_journal_row(ids ? ids[i] : first + i, rows[i]);
        rows[i][0] += type == VDB_RECORD_UPSERT ? 0.5f : 0; /* an upsert changes the vector */
    }
    if (type == VDB_RECORD_ADD)
        check(vdb_add(index, &rows[0][0], n, ids), "vdb_add");
    else if (type == VDB_RECORD_UPSERT)
        check(vdb_upsert(index, &rows[0][0], n, ids), "vdb_upsert");
    else
        check(vdb_delete(index, ids, n), "vdb_delete");
}

#define ADD(index, ...)                                                                                                \
    change(index, VDB_RECORD_ADD, (const uint64_t[]){__VA_ARGS__},                                                     \
           sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t), 0)
#define UPSERT(index, ...)                                                                                             \
    change(index, VDB_RECORD_UPSERT, (const uint64_t[]){__VA_ARGS__},                                                  \
           sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t), 0)
#define DELETE(index, ...)                                                                                             \
    change(index, VDB_RECORD_DELETE, (const uint64_t[]){__VA_ARGS__},                                                  \
           sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t), 0)

static void commit(vdb_index *index) { check(vdb_commit(index), "vdb_commit"); }

static void emit(const char *name, uint8_t control, const journal *j)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(&control, 1, 1, file) != 1 || fwrite(j->bytes, 1, j->size, file) != j->size ||
        fclose(file) != 0)
        fail(path);
}

/* emit, for a journal not used again. */
static void emit_once(const char *name, uint8_t control, journal *j)
{
    emit(name, control, j);
    free(j);
}

static uint64_t get64(const uint8_t *at)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = value << 8 | at[i];
    return value;
}

/* The offset of record `number` (0 the first), or of the end when there are fewer. */
static size_t record_at(const journal *j, int number)
{
    size_t offset = FUZZ_JOURNAL_HEADER;
    for (int i = 0; i < number && offset + FUZZ_JOURNAL_RECORD_HEADER <= j->size; i++)
        offset += (FUZZ_JOURNAL_RECORD_HEADER + get64(j->bytes + offset + 8) + 7) / 8 * 8;
    return offset;
}

/* Append the records of `from` (its header left off). */
static void append_records(journal *to, const journal *from)
{
    size_t length = from->size - FUZZ_JOURNAL_HEADER;
    if (to->size + length > MAX_JOURNAL)
        fail("a seed over MAX_JOURNAL");
    memcpy(to->bytes + to->size, from->bytes + FUZZ_JOURNAL_HEADER, length);
    to->size += length;
}

/* Append a checkpoint record naming `file`, made by hand as lib/file/journal.c makes it. */
static void append_checkpoint(journal *j, fuzz_journal_base file)
{
    uint8_t *record = j->bytes + j->size;
    memset(record, 0, FUZZ_JOURNAL_RECORD_HEADER + 16);
    fuzz_put32(record + 4, VDB_RECORD_CHECKPOINT);
    fuzz_put64(record + 8, 16);
    fuzz_put32(record + 16, file.header_crc);
    fuzz_put64(record + 24, file.length);
    fuzz_put32(record, vdb_crc32c(0, record + 4, FUZZ_JOURNAL_RECORD_HEADER - 4 + 16));
    j->size += FUZZ_JOURNAL_RECORD_HEADER + 16;
}

/* add, commit, delete, commit, upsert, commit, add numbered, commit, delete, commit: 10 records. */
static journal *five_commits(void)
{
    vdb_index *index = start();
    ADD(index, 100, 101);
    commit(index);
    DELETE(index, 0);
    commit(index);
    UPSERT(index, 1, 100);
    commit(index);
    change(index, VDB_RECORD_ADD, NULL, 1, 102);
    commit(index);
    DELETE(index, 100, 2);
    commit(index);
    return finish(index);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_journal_seeds OUT_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    char dir[] = "/tmp/vdb-journal-seeds-XXXXXX";
    if (!mkdtemp(dir))
        fail("mkdtemp");
    snprintf(index_path, sizeof index_path, "%s/index.vdb", dir);
    snprintf(journal_path, sizeof journal_path, "%s/index.vdb-journal", dir);
    base = fuzz_journal_make_index(index_path);

    vdb_index *index = start();
    journal *empty = finish(index);
    emit("header-only", W | B, empty);
    journal nothing = {.size = 0};
    emit("empty", 0, &nothing);

    index = start();
    ADD(index, 100, 101, 102);
    commit(index);
    journal *add_ids = finish(index);
    emit("add-ids", W | B, add_ids);

    index = start();
    change(index, VDB_RECORD_ADD, NULL, 2, 32);
    commit(index);
    emit_once("add-numbered", B, finish(index));

    index = start();
    UPSERT(index, 0, 1, 200);
    commit(index);
    emit_once("upsert", W | B, finish(index));

    index = start();
    DELETE(index, 3, 4, 5);
    commit(index);
    journal *deletes = finish(index);
    emit("delete", W | B, deletes);

    journal *five = five_commits();
    emit("five-commits", W | B, five);
    emit("five-commits-fixed-crcs", W | B | R, five);

    /* The last commit's delete torn, its commit record gone: a crash during an append. */
    journal torn = *five;
    torn.size = record_at(five, 8) + 20;
    emit("torn-tail", W | B, &torn);

    /* A byte of the upsert (third commit) flipped, with commits intact after it: damage. */
    journal damaged = *five;
    damaged.bytes[record_at(five, 4) + FUZZ_JOURNAL_RECORD_HEADER + 24] ^= 0x40;
    emit("damaged-then-commit", W | B | S, &damaged);

    index = start();
    ADD(index, 100);
    commit(index);
    ADD(index, 101);
    journal *uncommitted = snapshot();
    vdb_close(index);
    emit("uncommitted-tail", W | B | S, uncommitted);

    index = start();
    for (uint64_t first = 40; first < 80; first += 20)
        change(index, VDB_RECORD_ADD, NULL, 20, first);
    commit(index);
    DELETE(index, 6, 7, 8, 9, 10, 41, 42, 43);
    commit(index);
    emit_once("many", W | B, finish(index));

    /* Every vector deleted, then new ones: a graph whose every node is dead takes an insert. */
    uint64_t all[FUZZ_JOURNAL_COUNT];
    for (uint64_t id = 0; id < FUZZ_JOURNAL_COUNT; id++)
        all[id] = id;
    index = start();
    change(index, VDB_RECORD_DELETE, all, FUZZ_JOURNAL_COUNT, 0);
    commit(index);
    change(index, VDB_RECORD_ADD, NULL, 2, 40);
    commit(index);
    emit_once("delete-all-then-add", W | B | S, finish(index));

    /* Every vector replaced, twice. */
    index = start();
    change(index, VDB_RECORD_UPSERT, all, FUZZ_JOURNAL_COUNT, 0);
    commit(index);
    change(index, VDB_RECORD_UPSERT, all, FUZZ_JOURNAL_COUNT / 2, 0);
    commit(index);
    emit_once("upsert-all", W | B | S, finish(index));

    /* The journal of another file (the header names it): refused when it has commits. */
    journal other = *add_ids;
    fuzz_journal_set_base(other.bytes, other.size, OTHER_FILE);
    emit("other-file", W, &other);

    /*
     * A checkpoint to the fuzzed index that crashed before the journal was
     * emptied: the header names the file before, whose records are not
     * applied again; those after the checkpoint are.
     */
    journal checkpoint = other;
    append_checkpoint(&checkpoint, base);
    append_records(&checkpoint, deletes);
    emit("checkpoint-here", W | C | S, &checkpoint);

    /* A checkpoint to some other file (its rename did not happen): the records on both sides apply. */
    journal elsewhere = *add_ids;
    append_checkpoint(&elsewhere, OTHER_FILE);
    append_records(&elsewhere, deletes);
    emit("checkpoint-elsewhere", W | B, &elsewhere);

    /* Committed records that parse but do not apply: a NaN, and the delete of an id not there. */
    journal nan = *add_ids;
    fuzz_put32(nan.bytes + record_at(add_ids, 0) + FUZZ_JOURNAL_RECORD_HEADER + 16 + 3 * 8 + 4, 0x7fc00000u);
    emit("nan-vector", W | B | R, &nan);
    journal absent = *deletes;
    fuzz_put64(absent.bytes + record_at(deletes, 0) + FUZZ_JOURNAL_RECORD_HEADER + 8, 9999);
    emit("delete-absent", W | B | R, &absent);

    unlink(journal_path);
    unlink(index_path);
    rmdir(dir);
    free(empty);
    free(add_ids);
    free(deletes);
    free(five);
    free(uncommitted);
    return 0;
}
