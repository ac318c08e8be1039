/*
 * Bad index files never crash: empty, random, truncated, flipped bytes in the
 * header and in every section, header fields out of range (with a correct
 * header CRC, so the range checks themselves are what must refuse them), a
 * newer format version, missing paths and folders. The layout used to aim the
 * damage is the one in docs/format.md, read from the file just saved.
 */
#include "testutil.h"

#include <criterion/criterion.h>
#include <vdb.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DIM = 16, N = 2000, NQ = 100, K = 10 };

typedef struct {
    char *dir;
    char *good; /* a correct index file */
    char *bad;  /* where each damaged copy goes */
    unsigned char *bytes;
    size_t length;
    float *queries;
} fixture;

static fixture setup(void)
{
    fixture f = {tu_temp_dir(), NULL, NULL, NULL, 0, tu_uniform(NQ, DIM, 2)};
    f.good = tu_path(f.dir, "good.vdb");
    f.bad = tu_path(f.dir, "bad.vdb");
    float *v = tu_uniform(N, DIM, 1);
    vdb_config cfg;
    vdb_config_init(&cfg, VDB_CONFIG_VERSION);
    cfg.dim = DIM;
    cfg.m = 6; /* small m: about 1 node in 6 has upper levels, so section 2 holds links */
    cfg.ef_construction = 40;
    vdb_index *index = NULL;
    cr_assert_eq(vdb_create(&index, &cfg), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_add(index, v, N, NULL), VDB_OK, "%s", vdb_last_error());
    cr_assert_eq(vdb_save(index, f.good), VDB_OK, "%s", vdb_last_error());
    vdb_close(index);
    free(v);
    f.bytes = tu_read_file(f.good, &f.length);
    cr_assert_not_null(f.bytes);
    cr_assert_eq(vdb_verify(f.good), VDB_OK, "the undamaged file does not verify: %s", vdb_last_error());
    cr_assert_gt(tu_le64(f.bytes + 72), 0u, "no upper-level blocks: the upper-links tests would prove nothing");
    return f;
}

static void teardown(fixture *f)
{
    free(f->queries);
    free(f->bytes);
    free(f->good);
    free(f->bad);
    tu_remove_dir(f->dir);
}

static unsigned char *copy(const fixture *f)
{
    unsigned char *c = malloc(f->length);
    cr_assert_not_null(c);
    memcpy(c, f->bytes, f->length);
    return c;
}

/* Open must fail with `code` (and write nothing to *out); so must verify. */
static void expect_refused(const char *path, int code, const char *what)
{
    vdb_index *index = (vdb_index *)(uintptr_t)0x5eed;
    int got = vdb_open(&index, path, VDB_OPEN_DEFAULT);
    cr_expect_eq(got, code, "%s: open gave %s, expected %s (%s)", what, vdb_strerror(got), vdb_strerror(code),
                 vdb_last_error());
    cr_expect_eq(index, (vdb_index *)(uintptr_t)0x5eed, "%s: *out written on failure", what);
    if (got == VDB_OK && index != (vdb_index *)(uintptr_t)0x5eed)
        vdb_close(index);
    got = vdb_verify(path);
    cr_expect_eq(got, code, "%s: verify gave %s, expected %s (%s)", what, vdb_strerror(got), vdb_strerror(code),
                 vdb_last_error());
}

/* An index whose header is fine but whose body may be damaged: searching it must not crash. */
static void search_survives(const fixture *f, const char *what)
{
    vdb_index *index = NULL;
    int code = vdb_open(&index, f->bad, VDB_OPEN_DEFAULT);
    cr_expect(code == VDB_OK || code == VDB_EFORMAT, "%s: open gave %s", what, vdb_strerror(code));
    if (code != VDB_OK)
        return;
    cr_assert_eq(vdb_dim(index), (uint32_t)DIM);
    for (int i = 0; i < NQ; i++) {
        uint64_t ids[K];
        float d[K];
        uint32_t found = K + 1;
        int rc = vdb_search(index, f->queries + i * DIM, K, 40, ids, d, &found);
        cr_expect_eq(rc, VDB_OK, "%s: search %d gave %s", what, i, vdb_strerror(rc));
        cr_expect_leq(found, (uint32_t)K, "%s: found %u", what, found);
        for (uint32_t j = found; j < K; j++)
            cr_expect_eq(ids[j], UINT64_MAX);
    }
    uint64_t *ids = malloc(sizeof *ids * NQ * K);
    cr_expect_eq(vdb_search_batch(index, f->queries, NQ, K, 0, ids, NULL, NULL), VDB_OK, "%s: batch", what);
    free(ids);
    vdb_close(index);
}

static void write_bad(const fixture *f, const void *bytes, size_t length)
{
    cr_assert_eq(tu_write_file(f->bad, bytes, length), 0);
}

Test(corrupt, empty_file_is_eformat)
{
    fixture f = setup();
    write_bad(&f, "", 0);
    expect_refused(f.bad, VDB_EFORMAT, "empty file");
    teardown(&f);
}

Test(corrupt, random_bytes_are_eformat)
{
    fixture f = setup();
    tu_rng rng;
    tu_rng_seed(&rng, 3);
    size_t sizes[] = {1, 7, 8, 100, 4095, 4096, 4097, 3 * 4096, 20000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned char *r = malloc(sizes[s]);
        for (size_t i = 0; i < sizes[s]; i++)
            r[i] = (unsigned char)tu_rng_next(&rng);
        write_bad(&f, r, sizes[s]);
        char what[64];
        snprintf(what, sizeof what, "%zu random bytes", sizes[s]);
        expect_refused(f.bad, VDB_EFORMAT, what);
        /* The same bytes behind the magic and version 1: the header CRC (or a range) must refuse them. */
        if (sizes[s] >= 12) {
            memcpy(r, "VDBINDEX", 8);
            tu_put_le32(r + 8, 1);
            write_bad(&f, r, sizes[s]);
            snprintf(what, sizeof what, "magic, version 1 and %zu random bytes", sizes[s] - 12);
            expect_refused(f.bad, VDB_EFORMAT, what);
        }
        free(r);
    }
    teardown(&f);
}

Test(corrupt, truncated_file_is_eformat_at_every_cut)
{
    fixture f = setup();
    size_t cuts[64];
    int n = 0;
    size_t fixed[] = {1, 4, 7, 8, 10, 12, 48, 100, 176, 4091, 4092, 4095, 4096};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        cuts[n++] = fixed[i];
    for (int s = 0; s < 4; s++) {
        tu_section sec = tu_read_section(f.bytes, s);
        cr_assert_gt(sec.length, 1u, "section %d is empty", s);
        cuts[n++] = sec.offset;
        cuts[n++] = sec.offset + 1;
        cuts[n++] = sec.offset + sec.length / 2;
        cuts[n++] = sec.offset + sec.length - 1;
    }
    tu_section ids = tu_read_section(f.bytes, TU_SECTION_IDS);
    cuts[n++] = ids.offset + ids.length; /* inside the last section's padding: the layout says how long the file is */
    cuts[n++] = f.length - 1;
    for (int i = 0; i < n; i++) {
        cr_assert_lt(cuts[i], f.length);
        write_bad(&f, f.bytes, cuts[i]);
        char what[64];
        snprintf(what, sizeof what, "cut at byte %zu of %zu", cuts[i], f.length);
        expect_refused(f.bad, VDB_EFORMAT, what);
    }
    teardown(&f);
}

Test(corrupt, flipped_header_byte_is_eformat)
{
    fixture f = setup();
    /* Bytes 8..11 (the version) are left to the version tests: a bigger version is VDB_EVERSION. */
    size_t at[] = {0,  3,  7,  12, 13, 16,  20,  22,  24,  28,  32,  36,   40,   44,   48,   55,   56,
                   64, 72, 80, 88, 96, 100, 104, 120, 150, 175, 176, 1000, 2048, 4000, 4091, 4092, 4095};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        unsigned char *c = copy(&f);
        c[at[i]] ^= 0x5A;
        write_bad(&f, c, f.length);
        free(c);
        char what[64];
        snprintf(what, sizeof what, "header byte %zu flipped", at[i]);
        expect_refused(f.bad, VDB_EFORMAT, what);
    }
    teardown(&f);
}

static void flip_section(int section, const char *name)
{
    fixture f = setup();
    tu_section s = tu_read_section(f.bytes, section);
    enum { FLIPS = 12 };
    for (int i = 0; i < FLIPS; i++) {
        /* Spread over the section, first and last byte included, and on every byte of a word. */
        uint64_t at = s.offset + (s.length - 1) * (uint64_t)i / (FLIPS - 1);
        unsigned char *c = copy(&f);
        c[at] ^= 0xFF;
        write_bad(&f, c, f.length);
        free(c);
        char what[96];
        snprintf(what, sizeof what, "%s section byte %llu flipped", name, (unsigned long long)(at - s.offset));
        int got = vdb_verify(f.bad);
        cr_expect_eq(got, VDB_EFORMAT, "%s: verify gave %s", what, vdb_strerror(got));
        vdb_index *index = NULL;
        got = vdb_open(&index, f.bad, VDB_OPEN_VERIFY);
        cr_expect_eq(got, VDB_EFORMAT, "%s: open with VDB_OPEN_VERIFY gave %s", what, vdb_strerror(got));
        if (got == VDB_OK)
            vdb_close(index);
        search_survives(&f, what);
    }
    teardown(&f);
}

Test(corrupt, flipped_vector_byte_fails_verify_and_search_survives) { flip_section(TU_SECTION_VECTORS, "vectors"); }
Test(corrupt, flipped_level0_link_byte_fails_verify_and_search_survives)
{
    flip_section(TU_SECTION_LINKS0, "level-0 links");
}
Test(corrupt, flipped_upper_link_byte_fails_verify_and_search_survives)
{
    flip_section(TU_SECTION_UPPER, "upper links");
}
Test(corrupt, flipped_id_byte_fails_verify_and_search_survives) { flip_section(TU_SECTION_IDS, "ids"); }

Test(corrupt, a_flipped_padding_byte_fails_verify_and_trailing_bytes_fail_open)
{
    fixture f = setup();
    tu_section ids = tu_read_section(f.bytes, TU_SECTION_IDS);
    cr_assert_lt(ids.offset + ids.length, (uint64_t)f.length, "no padding after the ids section to damage");
    cr_assert_eq(f.length % 4096, 0u, "the file does not end on a 4 KiB boundary");
    unsigned char *c = copy(&f);
    c[f.length - 1] ^= 0x01; /* the last byte is padding: only verify's zero check covers it */
    write_bad(&f, c, f.length);
    cr_expect_eq(vdb_verify(f.bad), VDB_EFORMAT, "a flipped padding byte passed verify");
    search_survives(&f, "padding byte flipped");

    unsigned char *longer = calloc(1, f.length + 4096);
    cr_assert_not_null(longer);
    memcpy(longer, f.bytes, f.length);
    write_bad(&f, longer, f.length + 4096);
    expect_refused(f.bad, VDB_EFORMAT, "4 KiB of trailing zeros");
    free(longer);
    free(c);
    teardown(&f);
}

/* Recompute section `s`'s CRC and then the header's, so only the structural checks can find the damage. */
static void reseal(unsigned char *c, int s)
{
    tu_section sec = tu_read_section(c, s);
    tu_put_le32(c + TU_SECTIONS_OFFSET + 24 * s + 16, tu_crc32c(c + sec.offset, sec.length));
    tu_fix_header_crc(c);
}

/*
 * A damaged but resealed file: verify must find it by its structure, and so
 * must a writable open, whose insertions trust the links; a plain open +
 * search must not crash.
 */
static void expect_structure_refused(fixture *f, unsigned char *c, const char *what)
{
    write_bad(f, c, f->length);
    int got = vdb_verify(f->bad);
    cr_expect_eq(got, VDB_EFORMAT, "%s: verify gave %s", what, vdb_strerror(got));
    vdb_index *index = NULL;
    got = vdb_open(&index, f->bad, VDB_OPEN_WRITABLE);
    cr_expect_eq(got, VDB_EFORMAT, "%s: a writable open gave %s", what, vdb_strerror(got));
    vdb_close(index);
    search_survives(f, what);
}

Test(corrupt, resealed_out_of_range_links_fail_verify_and_search_survives)
{
    fixture f = setup();
    uint32_t m = tu_le32(f.bytes + 28), m0 = tu_le32(f.bytes + 32);
    tu_section links0 = tu_read_section(f.bytes, TU_SECTION_LINKS0);
    tu_section upper = tu_read_section(f.bytes, TU_SECTION_UPPER);
    uint64_t blocks = tu_le64(f.bytes + 72);
    uint64_t entry = tu_le64(f.bytes + 56);
    uint64_t nodes[] = {0, entry, N / 2, N - 1};

    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        unsigned char *block = NULL, *c = copy(&f);
        block = c + links0.offset + nodes[i] * (m0 + 1) * 4;
        cr_assert_gt(tu_le32(block), 0u, "node %llu has no level-0 links", (unsigned long long)nodes[i]);
        tu_put_le32(block + 4, N); /* the first neighbour is one past the last node */
        reseal(c, TU_SECTION_LINKS0);
        expect_structure_refused(&f, c, "level-0 link to node N");
        free(c);

        c = copy(&f);
        block = c + links0.offset + nodes[i] * (m0 + 1) * 4;
        tu_put_le32(block + 4, UINT32_MAX);
        reseal(c, TU_SECTION_LINKS0);
        expect_structure_refused(&f, c, "level-0 link to node 2^32-1");
        free(c);

        c = copy(&f);
        block = c + links0.offset + nodes[i] * (m0 + 1) * 4;
        tu_put_le32(block, m0 + 1); /* more links than a block holds */
        reseal(c, TU_SECTION_LINKS0);
        expect_structure_refused(&f, c, "level-0 count m0 + 1");
        free(c);

        c = copy(&f);
        block = c + links0.offset + nodes[i] * (m0 + 1) * 4;
        tu_put_le32(block, UINT32_MAX);
        reseal(c, TU_SECTION_LINKS0);
        expect_structure_refused(&f, c, "level-0 count 2^32-1");
        free(c);
    }

    /* Upper links: every block of the entry point (the search starts there), and the first and last block. */
    unsigned char *start = f.bytes + upper.offset;
    uint32_t first = tu_le32(start + 4 * entry), end = tu_le32(start + 4 * (entry + 1));
    cr_assert_gt(end, first, "the entry point has no upper levels");
    uint64_t targets[] = {first, end - 1, 0, blocks - 1};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        uint64_t word = (N + 1) + targets[i] * (m + 1);
        unsigned char *c = copy(&f);
        tu_put_le32(c + upper.offset + 4 * word, m);
        for (uint32_t j = 1; j <= m; j++)
            tu_put_le32(c + upper.offset + 4 * (word + j), N + j * 1000003u);
        reseal(c, TU_SECTION_UPPER);
        expect_structure_refused(&f, c, "upper links past the last node");
        free(c);

        c = copy(&f);
        tu_put_le32(c + upper.offset + 4 * word, m + 1);
        reseal(c, TU_SECTION_UPPER);
        expect_structure_refused(&f, c, "upper count m + 1");
        free(c);
    }
    teardown(&f);
}

Test(corrupt, resealed_upper_link_to_a_node_below_its_level_is_refused)
{
    /* Found by fuzzing: a writable open of such a file took it in, and the next add linked back through it. */
    fixture f = setup();
    uint32_t m = tu_le32(f.bytes + 28);
    tu_section upper = tu_read_section(f.bytes, TU_SECTION_UPPER);
    const unsigned char *start = f.bytes + upper.offset;
    uint64_t entry = tu_le64(f.bytes + 56), low = 0;
    while (tu_le32(start + 4 * (low + 1)) != tu_le32(start + 4 * low)) /* a node with no upper level */
        low++;
    uint32_t block = tu_le32(start + 4 * entry); /* the entry point's level-1 block */
    uint64_t word = (N + 1) + (uint64_t)block * (m + 1);
    cr_assert_gt(tu_le32(start + 4 * word), 0u, "the entry point has no level-1 links");
    unsigned char *c = copy(&f);
    tu_put_le32(c + upper.offset + 4 * (word + 1), (uint32_t)low);
    reseal(c, TU_SECTION_UPPER);
    expect_structure_refused(&f, c, "a level-1 link to a level-0 node");
    free(c);
    teardown(&f);
}

Test(corrupt, resealed_bad_level_table_fails_verify_and_search_survives)
{
    fixture f = setup();
    tu_section upper = tu_read_section(f.bytes, TU_SECTION_UPPER);
    uint32_t max_level = tu_le32(f.bytes + 44);
    uint64_t entry = tu_le64(f.bytes + 56);
    /* start[] decreasing at one node: that node's level would wrap around. */
    uint64_t node = entry == N / 2 ? N / 2 + 1 : N / 2;
    unsigned char *c = copy(&f);
    tu_put_le32(c + upper.offset + 4 * node, UINT32_MAX);
    reseal(c, TU_SECTION_UPPER);
    expect_structure_refused(&f, c, "start[] decreasing");
    free(c);
    /* start[1..i] = 0 gives node i the level start[i + 1] > max_level (start stays non-decreasing). */
    uint64_t i = 0;
    while (i + 1 < N && tu_le32(f.bytes + upper.offset + 4 * (i + 1)) <= max_level)
        i++;
    cr_assert_lt(i + 1, (uint64_t)N, "no start[] word above max_level %u", max_level);
    c = copy(&f);
    for (uint64_t j = 1; j <= i; j++)
        tu_put_le32(c + upper.offset + 4 * j, 0);
    reseal(c, TU_SECTION_UPPER);
    expect_structure_refused(&f, c, "a level above max_level");
    free(c);
    teardown(&f);
}

typedef struct {
    size_t offset;
    int width; /* 4 or 8 */
    uint64_t value;
    const char *what;
} field_patch;

Test(corrupt, header_fields_out_of_range_are_eformat_even_with_a_good_crc)
{
    fixture f = setup();
    uint64_t file_length = f.length;
    tu_section ids = tu_read_section(f.bytes, TU_SECTION_IDS);
    tu_section links0 = tu_read_section(f.bytes, TU_SECTION_LINKS0);
    field_patch patches[] = {
        {12, 4, 4095, "header_size 4095"},
        {12, 4, 8192, "header_size 8192"},
        {16, 4, 1, "flags 1"},
        {20, 4, 0, "dim 0"},
        {20, 4, 65537, "dim 65537"},
        {20, 4, DIM + 1, "dim off by one"},
        {24, 4, 3, "metric 3"},
        {24, 4, UINT32_MAX, "metric -1"},
        {28, 4, 1, "m 1"},
        {28, 4, 257, "m 257"},
        {32, 4, 7, "m0 not 2*m"},
        {36, 4, 0, "ef_construction 0"},
        {36, 4, 65537, "ef_construction 65537"},
        {40, 4, 0, "ef_search 0"},
        {40, 4, UINT32_MAX, "ef_search 2^32 - 1"},
        {44, 4, 65, "max_level 65"},
        {48, 8, 0, "count 0 with sections"},
        {48, 8, N + 1, "count N + 1"},
        {48, 8, UINT64_MAX / 2, "count 2^63"},
        {48, 8, (uint64_t)UINT32_MAX, "count 2^32 - 1"},
        {56, 8, N, "entry N"},
        {56, 8, UINT64_MAX, "entry 2^64 - 1 with N > 0"},
        {72, 8, UINT64_MAX, "upper_blocks 2^64 - 1"},
        {72, 8, (uint64_t)1 << 32, "upper_blocks 2^32"},
        {80, 8, 4097, "vectors offset misaligned"},
        {80, 8, 0, "vectors offset inside the header"},
        {80, 8, (uint64_t)1 << 62, "vectors offset past the end"},
        {88, 8, 12, "vectors length wrong"},
        {104, 8, 4096, "links0 overlapping the vectors"},
        {112, 8, links0.length + 4, "links0 length wrong"},
        {152, 8, file_length, "ids section starting at the end"},
        {160, 8, ids.length * 2, "ids length past the end"},
        {160, 8, UINT64_MAX, "ids length 2^64 - 1"},
    };
    for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        unsigned char *c = copy(&f);
        if (patches[i].width == 4)
            tu_put_le32(c + patches[i].offset, (uint32_t)patches[i].value);
        else {
            tu_put_le32(c + patches[i].offset, (uint32_t)patches[i].value);
            tu_put_le32(c + patches[i].offset + 4, (uint32_t)(patches[i].value >> 32));
        }
        tu_fix_header_crc(c);
        write_bad(&f, c, f.length);
        free(c);
        expect_refused(f.bad, VDB_EFORMAT, patches[i].what);
    }
    teardown(&f);
}

Test(corrupt, newer_format_version_is_eversion)
{
    fixture f = setup();
    unsigned char *c = copy(&f);
    tu_put_le32(c + TU_VERSION_OFFSET, 3);
    tu_fix_header_crc(c); /* so that the version, not the checksum, is what fails */
    write_bad(&f, c, f.length);
    expect_refused(f.bad, VDB_EVERSION, "format version 3");
    cr_expect_not_null(strstr(vdb_last_error(), "3"), "'%s' does not name the version", vdb_last_error());
    cr_expect_not_null(strstr(vdb_last_error(), "version"), "'%s' does not say version", vdb_last_error());
    /* The version is checked before the CRC, since a newer format may put it elsewhere. */
    tu_put_le32(c + TU_VERSION_OFFSET, 0xFFFFFFFFu);
    write_bad(&f, c, f.length);
    expect_refused(f.bad, VDB_EVERSION, "format version 2^32-1, stale CRC");
    /* A newer file may be shorter than a version 1 header. */
    write_bad(&f, c, 64);
    expect_refused(f.bad, VDB_EVERSION, "format version 2^32-1 in a 64-byte file");
    free(c);
    teardown(&f);
}

Test(corrupt, format_version_zero_is_eformat)
{
    fixture f = setup();
    unsigned char *c = copy(&f);
    tu_put_le32(c + TU_VERSION_OFFSET, 0);
    tu_fix_header_crc(c);
    write_bad(&f, c, f.length);
    expect_refused(f.bad, VDB_EFORMAT, "format version 0");
    free(c);
    teardown(&f);
}

Test(corrupt, test_crc32c_matches_the_saved_header)
{
    /* The known CRC32C check value, then the library's own header CRC. */
    cr_expect_eq(tu_crc32c("123456789", 9), 0xE3069283u);
    cr_expect_eq(tu_crc32c("", 0), 0u);
    fixture f = setup();
    cr_expect_eq(tu_le32(f.bytes + TU_HEADER_CRC_OFFSET), tu_crc32c(f.bytes, TU_HEADER_CRC_OFFSET));
    teardown(&f);
}

Test(corrupt, missing_path_and_directory_are_eio)
{
    fixture f = setup();
    char *missing = tu_path(f.dir, "missing.vdb");
    expect_refused(missing, VDB_EIO, "missing path");
    expect_refused(f.dir, VDB_EIO, "a directory");
    free(missing);
    teardown(&f);
}

Test(corrupt, vector_parsers_survive_an_index_file)
{
    /* An index file handed to the vector-file parsers under each name: refused or read, never a crash. */
    fixture f = setup();
    const char *names[] = {"x.npy", "x.fvecs", "x.f32"};
    for (int i = 0; i < 3; i++) {
        char *path = tu_path(f.dir, names[i]);
        write_bad(&f, f.bytes, f.length);
        cr_assert_eq(rename(f.bad, path), 0);
        vdb_vectors *v = NULL;
        int code = vdb_vectors_open(&v, path, i == 2 ? DIM : 0);
        if (code == VDB_OK) {
            uint64_t rows = vdb_vectors_count(v);
            cr_expect_not_null(vdb_vectors_row(v, rows - 1));
            cr_expect_null(vdb_vectors_row(v, rows));
            vdb_vectors_close(v);
        } else {
            cr_expect(code == VDB_EFORMAT || code == VDB_EDIM, "%s: %s", names[i], vdb_strerror(code));
        }
        free(path);
    }
    teardown(&f);
}
