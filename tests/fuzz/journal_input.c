/*
 * The index under fuzz_journal's inputs, and the edits of a journal's bytes
 * its control byte asks for (journal_input.h). Offsets as in
 * lib/file/journal.c: the header's base CRC at 16, its length at 24, its CRC
 * at 60; a record's CRC at 0, type at 4, payload length at 8.
 */
#include "journal_input.h"

#include "file/checksum.h"
#include "file/format_header.h"
#include "file/journal.h"

#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { AT_BASE_CRC = 16, AT_BASE_LENGTH = 24, AT_HEADER_CRC = 60, AT_TYPE = 4, AT_SIZE = 8 };

void fuzz_put32(uint8_t *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        at[i] = (uint8_t)(value >> 8 * i);
}

void fuzz_put64(uint8_t *at, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        at[i] = (uint8_t)(value >> 8 * i);
}

static uint32_t get32(const uint8_t *at) { return (uint32_t)at[0] | at[1] << 8 | at[2] << 16 | (uint32_t)at[3] << 24; }

static uint64_t get64(const uint8_t *at) { return get32(at) | (uint64_t)get32(at + 4) << 32; }

void fuzz_journal_row(uint64_t id, float row[FUZZ_JOURNAL_DIM])
{
    for (int d = 0; d < FUZZ_JOURNAL_DIM; d++) {
        uint64_t x = id * FUZZ_JOURNAL_DIM + (uint64_t)d + 0x9e3779b97f4a7c15u; /* splitmix64 */
        x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9u;
        x = (x ^ x >> 27) * 0x94d049bb133111ebu;
        x ^= x >> 31;
        row[d] = (float)((int)(x % 9) - 4);
    }
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_journal_make_index: %s: %s\n", what, vdb_last_error());
    abort();
}

fuzz_journal_base fuzz_journal_make_index(const char *path)
{
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = FUZZ_JOURNAL_DIM;
    cfg.m = 4;
    cfg.ef_construction = 16;
    cfg.ef_search = 16;
    cfg.threads = 1;
    cfg.seed = 7;
    float rows[FUZZ_JOURNAL_COUNT][FUZZ_JOURNAL_DIM];
    for (uint64_t id = 0; id < FUZZ_JOURNAL_COUNT; id++)
        fuzz_journal_row(id, rows[id]);
    vdb_index *index = NULL;
    if (vdb_create(&index, &cfg) != VDB_OK)
        fail("vdb_create");
    if (vdb_add(index, &rows[0][0], FUZZ_JOURNAL_COUNT, NULL) != VDB_OK)
        fail("vdb_add");
    if (vdb_save(index, path) != VDB_OK)
        fail("vdb_save");
    vdb_close(index);

    uint8_t header[VDB_HEADER_SIZE];
    FILE *file = fopen(path, "rb");
    if (!file || fread(header, 1, sizeof header, file) != sizeof header || fseek(file, 0, SEEK_END) != 0)
        fail("reading the saved index back");
    long length = ftell(file);
    fclose(file);
    if (length <= 0)
        fail("reading the saved index back");
    return (fuzz_journal_base){get32(header + VDB_HEADER_CRC_OFFSET), (uint64_t)length};
}

void fuzz_journal_set_base(uint8_t *bytes, size_t size, fuzz_journal_base base)
{
    if (size < FUZZ_JOURNAL_HEADER)
        return;
    fuzz_put32(bytes + AT_BASE_CRC, base.header_crc);
    fuzz_put64(bytes + AT_BASE_LENGTH, base.length);
    fuzz_put32(bytes + AT_HEADER_CRC, vdb_crc32c(0, bytes, AT_HEADER_CRC));
}

void fuzz_journal_fix_records(uint8_t *bytes, size_t size, int fix_crcs, const fuzz_journal_base *checkpoint)
{
    size_t offset = FUZZ_JOURNAL_HEADER;
    while (offset <= size && size - offset >= FUZZ_JOURNAL_RECORD_HEADER) {
        uint8_t *record = bytes + offset;
        uint64_t length = get64(record + AT_SIZE);
        if (length > size - offset - FUZZ_JOURNAL_RECORD_HEADER)
            break; /* not whole: a torn tail stays torn */
        int changed = 0;
        if (checkpoint && get32(record + AT_TYPE) == VDB_RECORD_CHECKPOINT && length == 16) {
            fuzz_put32(record + FUZZ_JOURNAL_RECORD_HEADER, checkpoint->header_crc);
            fuzz_put32(record + FUZZ_JOURNAL_RECORD_HEADER + 4, 0);
            fuzz_put64(record + FUZZ_JOURNAL_RECORD_HEADER + 8, checkpoint->length);
            changed = 1;
        }
        if (fix_crcs || changed)
            fuzz_put32(record, vdb_crc32c(0, record + 4, FUZZ_JOURNAL_RECORD_HEADER - 4 + (size_t)length));
        size_t step = FUZZ_JOURNAL_RECORD_HEADER + (size_t)length;
        offset += (step + FUZZ_JOURNAL_ALIGN - 1) / FUZZ_JOURNAL_ALIGN * FUZZ_JOURNAL_ALIGN;
    }
}
