/*
 * Random 4 KiB O_DIRECT reads of a file through the block reader, kept `depth`
 * deep for a few seconds, one thread: the reads per second that the disk
 * search's I/O engine gets from a disk, to set beside fio's figure for it.
 *
 *   block_reads FILE [DEPTH] [auto|threads] [SECONDS]
 *
 * FILE must hold written data (dd, not fallocate: an unwritten extent reads as
 * zeros without touching the disk) and be on a file system with O_DIRECT.
 */
#define _GNU_SOURCE
#include "disk/block_reader.h"
#include "measure.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { BLOCK = 4096 };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: block_reads FILE [DEPTH] [auto|threads] [SECONDS]\n");
        return 2;
    }
    uint32_t depth = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 16;
    vdb_reader_mode mode = argc > 3 && strcmp(argv[3], "threads") == 0 ? VDB_READER_THREADS : VDB_READER_AUTO;
    double seconds = argc > 4 ? strtod(argv[4], NULL) : 5.0;

    int fd = open(argv[1], O_RDONLY | O_DIRECT);
    struct stat status;
    if (fd < 0 || fstat(fd, &status) != 0 || status.st_size < BLOCK) {
        perror(argv[1]);
        return 1;
    }
    uint64_t blocks = (uint64_t)status.st_size / BLOCK;
    vdb_block_reader *reader;
    if (vdb_block_reader_create(&reader, fd, depth, mode) != VDB_OK) {
        fprintf(stderr, "block_reads: %s\n", vdb_last_error());
        return 1;
    }
    unsigned char *buffers = aligned_alloc(BLOCK, (size_t)depth * BLOCK);
    uint64_t *tags = malloc(sizeof *tags * depth);
    if (!buffers || !tags)
        return 1;

    uint64_t state = 88172645463325252ull, reads = 0;
    uint32_t next_free = 0; /* until every buffer is in use, then a reaped tag names the free buffer */
    double start = bench_seconds(), now = start;
    while (now - start < seconds) {
        while (vdb_block_reader_in_flight(reader) < depth && next_free < depth) {
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            vdb_block_reader_submit(reader, state % blocks * BLOCK, BLOCK, buffers + (size_t)next_free * BLOCK,
                                    next_free);
            next_free++;
        }
        int got = vdb_block_reader_reap(reader, 1, tags, depth);
        if (got < 0) {
            fprintf(stderr, "block_reads: %s\n", vdb_last_error());
            return 1;
        }
        for (int i = 0; i < got; i++) { /* each finished buffer is read again at once */
            state ^= state << 13, state ^= state >> 7, state ^= state << 17;
            vdb_block_reader_submit(reader, state % blocks * BLOCK, BLOCK, buffers + tags[i] * BLOCK, tags[i]);
        }
        reads += (uint64_t)got;
        now = bench_seconds();
    }
    printf("%s depth %u: %.0f reads/s (%llu reads in %.1f s)\n", vdb_block_reader_kind(reader), depth,
           (double)reads / (now - start), (unsigned long long)reads, now - start);
    vdb_block_reader_destroy(reader);
    free(buffers);
    free(tags);
    close(fd);
    return 0;
}
