/*
 * The block reader, in both engines: random block reads of a file whose every
 * 4 KiB block holds its own number come back whole, each tag once; a read past
 * the end fails with VDB_EIO and the reader still drains; depth is bounded;
 * destroy waits for reads in flight. The file is opened with O_DIRECT where
 * the file system allows it, as the disk search will open its index.
 */
#define _GNU_SOURCE
#include "disk/block_reader.h"
#include "testutil.h"
#include "vdb.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BLOCK = 4096, BLOCKS = 1024, READS = 64, DEPTH = 16 };

typedef struct {
    char *dir;
    char *path;
    int fd;
} block_file;

/* A 4 MiB file, block b filled with the uint32 b, opened O_DIRECT when the file system takes it (not tmpfs). */
static block_file make_block_file(void)
{
    block_file file = {.dir = tu_temp_dir()};
    file.path = tu_path(file.dir, "blocks");
    int fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    uint32_t *block = malloc(BLOCK);
    cr_assert_not_null(block);
    for (uint32_t b = 0; b < BLOCKS; b++) {
        for (uint32_t i = 0; i < BLOCK / sizeof *block; i++)
            block[i] = b;
        cr_assert_eq(write(fd, block, BLOCK), BLOCK);
    }
    free(block);
    cr_assert_eq(close(fd), 0);
    file.fd = open(file.path, O_RDONLY | O_DIRECT);
    if (file.fd < 0 && errno == EINVAL)
        file.fd = open(file.path, O_RDONLY);
    cr_assert(file.fd >= 0);
    return file;
}

static void remove_block_file(block_file *file)
{
    close(file->fd);
    free(file->path);
    tu_remove_dir(file->dir);
}

static int block_holds(const void *buffer, uint32_t b)
{
    const uint32_t *words = buffer;
    for (uint32_t i = 0; i < BLOCK / sizeof *words; i++)
        if (words[i] != b)
            return 0;
    return 1;
}

static void random_reads(vdb_reader_mode mode)
{
    block_file file = make_block_file();
    vdb_block_reader *reader = NULL;
    cr_assert_eq(vdb_block_reader_create(&reader, file.fd, DEPTH, mode), VDB_OK, "%s", vdb_last_error());
    cr_log_info("block reader kind: %s", vdb_block_reader_kind(reader));
    if (mode == VDB_READER_THREADS)
        cr_expect_str_eq(vdb_block_reader_kind(reader), "threads");

    unsigned char *buffers = aligned_alloc(BLOCK, (size_t)READS * BLOCK);
    cr_assert_not_null(buffers);
    memset(buffers, 0xff, (size_t)READS * BLOCK);
    uint32_t blocks[READS];
    int seen[READS] = {0};
    tu_rng rng;
    tu_rng_seed(&rng, 7);
    for (uint32_t i = 0; i < READS; i++)
        blocks[i] = (uint32_t)(tu_rng_next(&rng) % BLOCKS);

    uint32_t submitted = 0, reaped = 0;
    uint64_t tags[DEPTH];
    while (reaped < READS) {
        while (submitted < READS && vdb_block_reader_in_flight(reader) < DEPTH) {
            cr_assert_eq(vdb_block_reader_submit(reader, (uint64_t)blocks[submitted] * BLOCK, BLOCK,
                                                 buffers + (size_t)submitted * BLOCK, submitted),
                         VDB_OK, "%s", vdb_last_error());
            submitted++;
        }
        int got = vdb_block_reader_reap(reader, 1, tags, DEPTH);
        cr_assert_gt(got, 0, "%s", vdb_last_error());
        for (int i = 0; i < got; i++) {
            cr_assert_lt(tags[i], READS);
            cr_expect_eq(seen[tags[i]], 0, "tag %llu came back twice", (unsigned long long)tags[i]);
            seen[tags[i]]++;
            cr_expect(block_holds(buffers + tags[i] * BLOCK, blocks[tags[i]]), "read %llu holds the wrong block",
                      (unsigned long long)tags[i]);
        }
        reaped += (uint32_t)got;
    }
    cr_expect_eq(vdb_block_reader_in_flight(reader), 0);
    for (uint32_t i = 0; i < READS; i++)
        cr_expect_eq(seen[i], 1, "tag %u", i);
    cr_expect_eq(vdb_block_reader_reap(reader, 1, tags, DEPTH), 0, "waiting with nothing in flight returns at once");

    vdb_block_reader_destroy(reader);
    free(buffers);
    remove_block_file(&file);
}

Test(block_reader, random_reads_with_io_uring_or_its_fallback_return_each_block_and_tag_once)
{
    random_reads(VDB_READER_AUTO);
}

Test(block_reader, random_reads_with_threads_return_each_block_and_tag_once) { random_reads(VDB_READER_THREADS); }

/* Good reads around one at the end of the file and one that runs over it: two VDB_EIO, every good tag, in_flight 0. */
static void read_past_end(vdb_reader_mode mode)
{
    block_file file = make_block_file();
    vdb_block_reader *reader = NULL;
    cr_assert_eq(vdb_block_reader_create(&reader, file.fd, 8, mode), VDB_OK, "%s", vdb_last_error());
    unsigned char *buffers = aligned_alloc(BLOCK, 8 * BLOCK);
    cr_assert_not_null(buffers);
    for (uint64_t i = 0; i < 6; i++) {
        uint64_t offset = i == 2 ? (uint64_t)BLOCKS * BLOCK : i == 4 ? (uint64_t)(BLOCKS - 1) * BLOCK : i * BLOCK;
        uint32_t length = i == 4 ? 2 * BLOCK : BLOCK;
        unsigned char *buffer = buffers + (i == 4 ? 6 : i) * BLOCK; /* the two-block read has blocks 6 and 7 */
        cr_assert_eq(vdb_block_reader_submit(reader, offset, length, buffer, i), VDB_OK);
    }
    int good[6] = {0}, failures = 0;
    uint64_t tags[8];
    while (vdb_block_reader_in_flight(reader) > 0) {
        int got = vdb_block_reader_reap(reader, 1, tags, 8);
        if (got < 0) {
            cr_expect_eq(got, VDB_EIO);
            cr_expect_not_null(strstr(vdb_last_error(), "offset"), "%s", vdb_last_error());
            cr_log_info("%s", vdb_last_error());
            failures++;
            continue;
        }
        for (int i = 0; i < got; i++)
            good[tags[i]]++;
    }
    cr_expect_eq(failures, 2);
    for (uint32_t i = 0; i < 6; i++) {
        cr_expect_eq(good[i], i == 2 || i == 4 ? 0 : 1, "tag %u", i);
        if (i != 2 && i != 4)
            cr_expect(block_holds(buffers + i * BLOCK, i), "buffer %u holds %u", i, *(uint32_t *)(buffers + i * BLOCK));
    }
    /* Still usable after the failures. */
    cr_assert_eq(vdb_block_reader_submit(reader, 5 * BLOCK, BLOCK, buffers, 99), VDB_OK);
    cr_assert_eq(vdb_block_reader_reap(reader, 1, tags, 8), 1, "%s", vdb_last_error());
    cr_expect_eq(tags[0], 99);
    cr_expect(block_holds(buffers, 5));
    vdb_block_reader_destroy(reader);
    free(buffers);
    remove_block_file(&file);
}

Test(block_reader, a_read_past_the_end_is_eio_and_the_reader_drains_with_io_uring_or_its_fallback)
{
    read_past_end(VDB_READER_AUTO);
}

Test(block_reader, a_read_past_the_end_is_eio_and_the_reader_drains_with_threads) { read_past_end(VDB_READER_THREADS); }

Test(block_reader, depth_is_one_to_256_and_submit_refuses_past_it)
{
    block_file file = make_block_file();
    vdb_block_reader *reader = NULL;
    cr_expect_eq(vdb_block_reader_create(&reader, file.fd, 0, VDB_READER_AUTO), VDB_EINVAL);
    cr_expect_eq(vdb_block_reader_create(&reader, file.fd, VDB_READER_MAX_DEPTH + 1, VDB_READER_AUTO), VDB_EINVAL);
    cr_expect_eq(vdb_block_reader_create(&reader, -1, 4, VDB_READER_AUTO), VDB_EINVAL);
    cr_expect_eq(vdb_block_reader_create(NULL, file.fd, 4, VDB_READER_AUTO), VDB_EINVAL);
    cr_expect_eq(vdb_block_reader_create(&reader, file.fd, 4, (vdb_reader_mode)7), VDB_EINVAL);
    cr_expect_null(reader, "a failed create wrote its out-parameter");

    unsigned char *buffers = aligned_alloc(BLOCK, 2 * BLOCK);
    cr_assert_not_null(buffers);
    vdb_reader_mode modes[] = {VDB_READER_AUTO, VDB_READER_THREADS};
    for (int m = 0; m < 2; m++) {
        cr_assert_eq(vdb_block_reader_create(&reader, file.fd, VDB_READER_MAX_DEPTH, modes[m]), VDB_OK);
        vdb_block_reader_destroy(reader);
        cr_assert_eq(vdb_block_reader_create(&reader, file.fd, 1, modes[m]), VDB_OK, "%s", vdb_last_error());
        cr_expect_eq(vdb_block_reader_submit(reader, 0, 0, buffers, 0), VDB_EINVAL, "a read of 0 bytes");
        cr_expect_eq(vdb_block_reader_submit(reader, 0, BLOCK, NULL, 0), VDB_EINVAL, "a NULL buffer");
        cr_assert_eq(vdb_block_reader_submit(reader, 0, BLOCK, buffers, 1), VDB_OK);
        cr_expect_eq(vdb_block_reader_submit(reader, BLOCK, BLOCK, buffers + BLOCK, 2), VDB_EINVAL);
        cr_expect_eq(vdb_block_reader_in_flight(reader), 1);
        cr_expect_eq(vdb_block_reader_reap(reader, 1, NULL, 1), VDB_EINVAL, "NULL tags");
        uint64_t tag = 0;
        cr_assert_eq(vdb_block_reader_reap(reader, 5, &tag, 1), 1, "wait_for past in_flight is capped");
        cr_expect_eq(tag, 1);
        cr_expect(block_holds(buffers, 0));
        vdb_block_reader_destroy(reader);
        reader = NULL;
    }
    vdb_block_reader_destroy(NULL);
    free(buffers);
    remove_block_file(&file);
}

Test(block_reader, destroy_waits_for_reads_in_flight)
{
    block_file file = make_block_file();
    vdb_reader_mode modes[] = {VDB_READER_AUTO, VDB_READER_THREADS};
    for (int m = 0; m < 2; m++) {
        for (int handed = 0; handed < 2; handed++) {
            unsigned char *buffers = aligned_alloc(BLOCK, (size_t)DEPTH * BLOCK);
            cr_assert_not_null(buffers);
            vdb_block_reader *reader = NULL;
            cr_assert_eq(vdb_block_reader_create(&reader, file.fd, DEPTH, modes[m]), VDB_OK);
            for (uint32_t i = 0; i < DEPTH; i++)
                cr_assert_eq(vdb_block_reader_submit(reader, (uint64_t)i * 37 % BLOCKS * BLOCK, BLOCK,
                                                     buffers + (size_t)i * BLOCK, i),
                             VDB_OK);
            if (handed) /* in the kernel's or the workers' hands, not only queued */
                cr_assert(vdb_block_reader_reap(reader, 0, NULL, 0) >= 0);
            vdb_block_reader_destroy(reader);
            free(buffers); /* ASan and TSan see a worker still writing here */
        }
    }
    remove_block_file(&file);
}
