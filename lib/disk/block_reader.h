/*
 * Batched direct reads of file blocks, the I/O engine of a disk-resident beam
 * search: a search keeps several 4 KiB block reads in flight and works on
 * whichever comes back first, so one query waits for the disk's latency about
 * once per hop rather than once per neighbour. io_uring when the kernel
 * allows it (one system call hands a batch to the kernel and reaps another);
 * else a few pread threads per reader, which any POSIX system can run.
 */
#ifndef VDB_BLOCK_READER_H
#define VDB_BLOCK_READER_H

#include <stdint.h>

/*
 * One reader is used by one thread at a time: a search keeps a pool of them,
 * one per searching thread, as it does its scratch (util/scratch.h). Nothing
 * in it is locked against a second caller.
 */
typedef struct vdb_block_reader vdb_block_reader;

/* AUTO: io_uring when the kernel allows it, else threads. THREADS: threads always (tests, comparisons). */
typedef enum { VDB_READER_AUTO, VDB_READER_THREADS } vdb_reader_mode;

/* The deepest a reader may go: its bookkeeping is sized from this, and deeper queues only add latency. */
enum { VDB_READER_MAX_DEPTH = 256 };

/*
 * A reader over fd keeping up to `depth` (1..VDB_READER_MAX_DEPTH) reads in
 * flight. fd is not owned: the caller opened it (possibly with O_DIRECT) and
 * closes it after vdb_block_reader_destroy. When io_uring cannot start
 * (ENOSYS on old kernels, EPERM from a container's seccomp, ENOMEM from a
 * memlock limit) AUTO falls back to threads without a word; kind() says which.
 * VDB_OK, VDB_EINVAL (NULL out, fd < 0, depth out of range), VDB_ENOMEM, or
 * VDB_EIO when even the threads cannot start.
 */
int vdb_block_reader_create(vdb_block_reader **out, int fd, uint32_t depth, vdb_reader_mode mode);

/*
 * Free the reader; NULL is fine. Reads the kernel or a worker has started are
 * waited for first, so their buffers may be freed once this returns; reads
 * still only queued are dropped unread. Their tags are never reported.
 */
void vdb_block_reader_destroy(vdb_block_reader *reader);

/* "io_uring" or "threads": a static string. */
const char *vdb_block_reader_kind(const vdb_block_reader *reader);

/* Reads submitted and not yet reaped (a failed one leaves when it is reaped). */
uint32_t vdb_block_reader_in_flight(const vdb_block_reader *reader);

/*
 * Queue a read of `length` (> 0) bytes at `offset` into `buffer`, reported
 * by `tag` when it completes. The caller keeps in_flight below depth (else
 * VDB_EINVAL, nothing queued). With O_DIRECT, buffer, offset and length must
 * be multiples of 4096: that is the caller's job, and the kernel's EINVAL
 * comes back from reap if not. Never blocks: the read may wait here, batched,
 * until the next reap hands it on. buffer must stay valid until its tag comes
 * back (or the reader is destroyed), and all `length` bytes of it may be
 * written even by a read that ends short (ext4's O_DIRECT zeroes past the end).
 */
int vdb_block_reader_submit(vdb_block_reader *reader, uint64_t offset, uint32_t length, void *buffer, uint64_t tag);

/*
 * Hand queued reads to the kernel or the workers, then wait until at least
 * `wait_for` reads have completed (0: do not wait; capped at in_flight and at
 * max, so it cannot wait for reads that do not exist) and write up to `max`
 * completed tags to tags[], in completion order. Returns how many it wrote
 * (>= 0), or a negative code: VDB_EINVAL (NULL reader, or NULL tags with
 * max > 0), VDB_EIO for a read that failed or came back short (end of file);
 * the message gives offset, length and errno text. A failed read counts as
 * completed (it leaves in_flight, its tag is not reported), so the caller can
 * reap the rest and give up. Good tags reaped before a failure are returned
 * first, and the failure comes from the next call: then a call may return
 * fewer than wait_for.
 *
 * A read that the kernel ends early but not at the end of the file (a signal,
 * a buffered read cut short) is resubmitted for the rest; interrupted waits
 * and EAGAIN are retried. Only a read of 0 bytes before `length` is reached
 * is the end of the file.
 */
int vdb_block_reader_reap(vdb_block_reader *reader, uint32_t wait_for, uint64_t *tags, uint32_t max);

#endif
