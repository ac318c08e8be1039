/*
 * What fuzz_journal and its seed generator (make_journal_seeds) share: the
 * small index whose journal every input is, and the edits that let a
 * mutated journal get past the checks that would otherwise refuse nearly
 * all of it (the header's CRC and base, each record's CRC).
 *
 * An input is one control byte, then the journal's bytes. The control byte:
 *   FUZZ_JOURNAL_WRITABLE    also open writable and writable|recover, change, commit and reopen
 *   FUZZ_JOURNAL_FIX_BASE    the header names the fuzzed index (its CRC made right)
 *   FUZZ_JOURNAL_FIX_RECORDS every whole record's CRC made right
 *   FUZZ_JOURNAL_CHECKPOINT  every checkpoint record of 16 bytes names the fuzzed index (its CRC made right)
 *   FUZZ_JOURNAL_SAVE        with FUZZ_JOURNAL_WRITABLE: the writable index saved over its file (a
 *                            checkpoint) between its change and its commit; the file is put back after
 * Without the fixes the bytes are written as they are, so damage, a torn
 * tail and a journal of another file are reached too.
 */
#ifndef VDB_FUZZ_JOURNAL_INPUT_H
#define VDB_FUZZ_JOURNAL_INPUT_H

#include <stddef.h>
#include <stdint.h>

enum {
    FUZZ_JOURNAL_WRITABLE = 1,
    FUZZ_JOURNAL_FIX_BASE = 2,
    FUZZ_JOURNAL_FIX_RECORDS = 4,
    FUZZ_JOURNAL_CHECKPOINT = 8,
    FUZZ_JOURNAL_SAVE = 16,
};

/* The journal's layout (lib/file/journal.c's top comment). */
enum {
    FUZZ_JOURNAL_HEADER = 64,
    FUZZ_JOURNAL_RECORD_HEADER = 16,
    FUZZ_JOURNAL_ALIGN = 8,
};

/* The index: FUZZ_JOURNAL_COUNT vectors of FUZZ_JOURNAL_DIM, ids 0..COUNT-1, L2. */
enum { FUZZ_JOURNAL_DIM = 4, FUZZ_JOURNAL_COUNT = 32 };

/* The identity a journal names its index file by: the file's header CRC and length. */
typedef struct {
    uint32_t header_crc;
    uint64_t length;
} fuzz_journal_base;

/* Little-endian stores, as the journal's fields are. */
void fuzz_put32(uint8_t *at, uint32_t value);
void fuzz_put64(uint8_t *at, uint64_t value);

/*
 * Vector `id` of the index; journals of the seeds use it for more ids too.
 * Small whole numbers, so that every distance is exact and the graph is the
 * same with every kernel and compiler.
 */
void fuzz_journal_row(uint64_t id, float row[FUZZ_JOURNAL_DIM]);

/* Build the index (one thread, a fixed seed: the same bytes every time) and save it at path; aborts on failure. */
fuzz_journal_base fuzz_journal_make_index(const char *path);

/* Set the base a journal's header names and make its CRC right; shorter buffers are left as they are. */
void fuzz_journal_set_base(uint8_t *bytes, size_t size, fuzz_journal_base base);

/*
 * Walk the records as a reader does, from the header to the first record
 * that is not whole: with `checkpoint` non-NULL, each checkpoint record of
 * 16 bytes is made to name it; with fix_crcs, every record's CRC is made
 * right (else only those changed here).
 */
void fuzz_journal_fix_records(uint8_t *bytes, size_t size, int fix_crcs, const fuzz_journal_base *checkpoint);

#endif
