/*
 * The block reader's two engines behind one queue discipline: the caller's
 * thread owns every request slot (submit fills one, reap frees it), and only
 * the slot's pointer travels to the kernel or a worker and back. io_uring
 * needs no lock at all; the threads engine shares two small index rings
 * (to do, done) under one mutex.
 */
#include "disk/block_reader.h"
#include "util/error.h"

#include "vdb.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef VDB_HAVE_IO_URING
#include <liburing.h>
#endif

/* A pool of readers each with this many threads stays well below a machine's thread limits. */
enum { MAX_WORKERS = 8 };

typedef struct read_slot {
    uint64_t offset;
    uint64_t tag;
    unsigned char *buffer;
    uint32_t length;
    uint32_t done; /* bytes read so far */
    int error;     /* 0, an errno value, or -1 for the end of the file */
} read_slot;

/* A ring of slot indices; capacity is the reader's depth, which bounds what it can hold. */
typedef struct {
    uint16_t *items;
    uint32_t head, count;
} index_ring;

struct vdb_block_reader {
    int fd;
    uint32_t depth;
    uint32_t in_flight;
    int uses_uring;
    read_slot *slots;
    uint16_t *free_slots; /* a stack of unused slot indices */
    uint32_t free_count;

#ifdef VDB_HAVE_IO_URING
    struct io_uring ring;
    uint32_t unsubmitted; /* sqes prepared and not yet handed to the kernel */
#endif

    /* threads engine */
    index_ring staged; /* submitted, not yet handed to the workers (caller's thread only) */
    pthread_mutex_t lock;
    pthread_cond_t work_ready;
    pthread_cond_t work_done;
    index_ring todo; /* under lock */
    index_ring done; /* under lock */
    int stopping;    /* under lock */
    pthread_t workers[MAX_WORKERS];
    uint32_t worker_count;
};

static void ring_push(index_ring *ring, uint32_t capacity, uint32_t slot)
{
    ring->items[(ring->head + ring->count) % capacity] = (uint16_t)slot;
    ring->count++;
}

static uint32_t ring_pop(index_ring *ring, uint32_t capacity)
{
    uint32_t slot = ring->items[ring->head];
    ring->head = (ring->head + 1) % capacity;
    ring->count--;
    return slot;
}

static int slot_failure(const read_slot *slot)
{
    if (slot->error < 0)
        return vdb_fail(VDB_EIO, "short read: %u of %u bytes at offset %llu (end of file)", slot->done, slot->length,
                        (unsigned long long)slot->offset);
    char text[128];
    const char *reason = strerror_r(slot->error, text, sizeof text);
    return vdb_fail(VDB_EIO, "read of %u bytes at offset %llu failed: %s", slot->length,
                    (unsigned long long)slot->offset, reason);
}

static void release_slot(vdb_block_reader *reader, uint32_t index)
{
    reader->free_slots[reader->free_count++] = (uint16_t)index;
    reader->in_flight--;
}

/* --- threads ------------------------------------------------------------- */

/* Read all of the slot, retrying interruptions; leaves slot->error set on failure. */
static void read_whole(int fd, read_slot *slot)
{
    while (slot->done < slot->length) {
        ssize_t got =
            pread(fd, slot->buffer + slot->done, slot->length - slot->done, (off_t)(slot->offset + slot->done));
        if (got > 0) {
            slot->done += (uint32_t)got;
        } else if (got == 0) {
            slot->error = -1;
            return;
        } else if (errno != EINTR && errno != EAGAIN) {
            slot->error = errno;
            return;
        }
    }
}

static void *worker_main(void *raw)
{
    vdb_block_reader *reader = raw;
    pthread_mutex_lock(&reader->lock);
    for (;;) {
        while (!reader->stopping && reader->todo.count == 0)
            pthread_cond_wait(&reader->work_ready, &reader->lock);
        if (reader->stopping)
            break;
        uint32_t index = ring_pop(&reader->todo, reader->depth);
        pthread_mutex_unlock(&reader->lock);
        read_whole(reader->fd, &reader->slots[index]);
        pthread_mutex_lock(&reader->lock);
        ring_push(&reader->done, reader->depth, index);
        pthread_cond_signal(&reader->work_done);
    }
    pthread_mutex_unlock(&reader->lock);
    return NULL;
}

static int threads_start(vdb_block_reader *reader)
{
    reader->staged.items = malloc(sizeof *reader->staged.items * reader->depth);
    reader->todo.items = malloc(sizeof *reader->todo.items * reader->depth);
    reader->done.items = malloc(sizeof *reader->done.items * reader->depth);
    if (!reader->staged.items || !reader->todo.items || !reader->done.items)
        return vdb_fail(VDB_ENOMEM, "out of memory for a block reader's queues (depth %u)", reader->depth);
    if (pthread_mutex_init(&reader->lock, NULL) != 0)
        return vdb_fail(VDB_EIO, "block reader: cannot create a mutex");
    if (pthread_cond_init(&reader->work_ready, NULL) != 0 || pthread_cond_init(&reader->work_done, NULL) != 0)
        return vdb_fail(VDB_EIO, "block reader: cannot create a condition variable");
    uint32_t wanted = reader->depth < MAX_WORKERS ? reader->depth : MAX_WORKERS;
    for (uint32_t i = 0; i < wanted; i++) {
        int status = pthread_create(&reader->workers[i], NULL, worker_main, reader);
        if (status != 0) {
            if (reader->worker_count > 0)
                break; /* fewer hands, still correct */
            char text[128];
            return vdb_fail(VDB_EIO, "block reader: cannot start a read thread: %s",
                            strerror_r(status, text, sizeof text));
        }
        reader->worker_count++;
    }
    return VDB_OK;
}

static void threads_stop(vdb_block_reader *reader)
{
    pthread_mutex_lock(&reader->lock);
    reader->stopping = 1; /* reads not started are dropped; started ones finish before their worker exits */
    pthread_cond_broadcast(&reader->work_ready);
    pthread_mutex_unlock(&reader->lock);
    for (uint32_t i = 0; i < reader->worker_count; i++)
        pthread_join(reader->workers[i], NULL);
    pthread_cond_destroy(&reader->work_done);
    pthread_cond_destroy(&reader->work_ready);
    pthread_mutex_destroy(&reader->lock);
}

static int threads_reap(vdb_block_reader *reader, uint32_t wait_for, uint64_t *tags, uint32_t max)
{
    pthread_mutex_lock(&reader->lock);
    if (reader->staged.count > 0) {
        while (reader->staged.count > 0)
            ring_push(&reader->todo, reader->depth, ring_pop(&reader->staged, reader->depth));
        pthread_cond_broadcast(&reader->work_ready);
    }
    uint32_t written = 0, completed = 0;
    int result = VDB_OK;
    for (;;) {
        while (reader->done.count > 0 && written < max) {
            uint32_t index = reader->done.items[reader->done.head];
            read_slot *slot = &reader->slots[index];
            if (slot->error != 0) {
                if (written > 0)
                    goto out; /* hand back the good tags; the next call reports this one */
                ring_pop(&reader->done, reader->depth);
                result = slot_failure(slot);
                release_slot(reader, index);
                goto out;
            }
            ring_pop(&reader->done, reader->depth);
            tags[written++] = slot->tag;
            release_slot(reader, index);
            completed++;
        }
        if (completed >= wait_for)
            break;
        pthread_cond_wait(&reader->work_done, &reader->lock);
    }
out:
    pthread_mutex_unlock(&reader->lock);
    return result < 0 ? result : (int)written;
}

/* --- io_uring ------------------------------------------------------------ */

#ifdef VDB_HAVE_IO_URING

static uint32_t power_of_two_at_least(uint32_t n)
{
    uint32_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* io_uring as this process may use it: the ring starts and the kernel knows IORING_OP_READ (5.6). */
static int uring_start(vdb_block_reader *reader)
{
    if (io_uring_queue_init(power_of_two_at_least(reader->depth), &reader->ring, 0) < 0)
        return 0;
    struct io_uring_probe *probe = io_uring_get_probe_ring(&reader->ring);
    int reads = probe && io_uring_opcode_supported(probe, IORING_OP_READ);
    if (probe)
        io_uring_free_probe(probe);
    if (!reads) {
        io_uring_queue_exit(&reader->ring);
        return 0;
    }
    return 1;
}

/* Prepare the read of what is left of slot `index`. The ring has an sqe per slot, so one is always free. */
static void uring_prepare(vdb_block_reader *reader, uint32_t index)
{
    read_slot *slot = &reader->slots[index];
    struct io_uring_sqe *sqe = io_uring_get_sqe(&reader->ring);
    io_uring_prep_read(sqe, reader->fd, slot->buffer + slot->done, slot->length - slot->done,
                       slot->offset + slot->done);
    io_uring_sqe_set_data64(sqe, index);
    reader->unsubmitted++;
}

/* Hand prepared sqes to the kernel. EAGAIN/EBUSY with reads in the kernel: reap them first, submit next time. */
static int uring_flush(vdb_block_reader *reader)
{
    while (reader->unsubmitted > 0) {
        int submitted = io_uring_submit(&reader->ring);
        if (submitted >= 0) {
            reader->unsubmitted -= (uint32_t)submitted;
            continue;
        }
        if (submitted == -EINTR)
            continue;
        if (submitted == -EAGAIN || submitted == -EBUSY) {
            if (reader->in_flight > reader->unsubmitted)
                return VDB_OK;
            sched_yield();
            continue;
        }
        errno = -submitted;
        return vdb_fail_errno("block reader: io_uring_submit of %u reads failed", reader->unsubmitted);
    }
    return VDB_OK;
}

static int uring_reap(vdb_block_reader *reader, uint32_t wait_for, uint64_t *tags, uint32_t max)
{
    int status = uring_flush(reader);
    if (status < 0)
        return status;
    uint32_t written = 0;
    while (written < max) {
        struct io_uring_cqe *cqe;
        status = io_uring_peek_cqe(&reader->ring, &cqe);
        if (status == -EAGAIN) {
            if (written >= wait_for)
                break;
            if (reader->unsubmitted > 0 && (status = uring_flush(reader)) < 0)
                return status;
            status = io_uring_wait_cqe(&reader->ring, &cqe);
        }
        if (status == -EINTR || status == -EAGAIN)
            continue;
        if (status < 0) {
            errno = -status;
            return vdb_fail_errno("block reader: waiting for io_uring completions failed");
        }
        uint32_t index = (uint32_t)io_uring_cqe_get_data64(cqe);
        int res = cqe->res;
        read_slot *slot = &reader->slots[index];
        if (res == -EINTR || res == -EAGAIN) {
            io_uring_cqe_seen(&reader->ring, cqe);
            uring_prepare(reader, index);
            continue;
        }
        if (res > 0 && slot->done + (uint32_t)res < slot->length) {
            io_uring_cqe_seen(&reader->ring, cqe);
            slot->done += (uint32_t)res;
            uring_prepare(reader, index);
            continue;
        }
        if (res <= 0) {
            if (written > 0)
                break; /* hand back the good tags; the cqe stays and the next call reports it */
            io_uring_cqe_seen(&reader->ring, cqe);
            slot->error = res == 0 ? -1 : -res;
            status = slot_failure(slot);
            release_slot(reader, index);
            return status;
        }
        io_uring_cqe_seen(&reader->ring, cqe);
        slot->done += (uint32_t)res;
        tags[written++] = slot->tag;
        release_slot(reader, index);
    }
    status = uring_flush(reader); /* resubmitted remainders must not wait for the next call */
    return status < 0 ? status : (int)written;
}

/* Wait out every read the kernel has: their buffers may be freed after destroy. */
static void uring_stop(vdb_block_reader *reader)
{
    uint32_t in_kernel = reader->in_flight - reader->unsubmitted;
    while (in_kernel > 0) {
        struct io_uring_cqe *cqe;
        int status = io_uring_wait_cqe(&reader->ring, &cqe);
        if (status == -EINTR || status == -EAGAIN)
            continue;
        if (status < 0)
            break; /* nothing more will come; exiting the ring cancels the rest */
        io_uring_cqe_seen(&reader->ring, cqe);
        in_kernel--;
    }
    io_uring_queue_exit(&reader->ring);
}

#endif

/* --- the reader ---------------------------------------------------------- */

int vdb_block_reader_create(vdb_block_reader **out, int fd, uint32_t depth, vdb_reader_mode mode)
{
    if (!out)
        return vdb_fail(VDB_EINVAL, "block reader: out is NULL");
    if (fd < 0)
        return vdb_fail(VDB_EINVAL, "block reader: fd %d is not an open file", fd);
    if (depth < 1 || depth > VDB_READER_MAX_DEPTH)
        return vdb_fail(VDB_EINVAL, "block reader: depth %u is outside 1..%d", depth, VDB_READER_MAX_DEPTH);
    if (mode != VDB_READER_AUTO && mode != VDB_READER_THREADS)
        return vdb_fail(VDB_EINVAL, "block reader: unknown mode %d", (int)mode);

    vdb_block_reader *reader = calloc(1, sizeof *reader);
    if (!reader)
        return vdb_fail(VDB_ENOMEM, "out of memory for a block reader");
    reader->fd = fd;
    reader->depth = depth;
    reader->slots = calloc(depth, sizeof *reader->slots);
    reader->free_slots = malloc(sizeof *reader->free_slots * depth);
    if (!reader->slots || !reader->free_slots) {
        free(reader->slots);
        free(reader->free_slots);
        free(reader);
        return vdb_fail(VDB_ENOMEM, "out of memory for a block reader of depth %u", depth);
    }
    for (uint32_t i = 0; i < depth; i++)
        reader->free_slots[i] = (uint16_t)(depth - 1 - i);
    reader->free_count = depth;

#ifdef VDB_HAVE_IO_URING
    if (mode == VDB_READER_AUTO)
        reader->uses_uring = uring_start(reader);
#endif
    if (!reader->uses_uring) {
        int status = threads_start(reader);
        if (status < 0) {
            reader->uses_uring = 0;
            vdb_block_reader_destroy(reader);
            return status;
        }
    }
    *out = reader;
    return VDB_OK;
}

void vdb_block_reader_destroy(vdb_block_reader *reader)
{
    if (!reader)
        return;
#ifdef VDB_HAVE_IO_URING
    if (reader->uses_uring)
        uring_stop(reader);
#endif
    if (!reader->uses_uring && reader->worker_count > 0)
        threads_stop(reader);
    free(reader->staged.items);
    free(reader->todo.items);
    free(reader->done.items);
    free(reader->slots);
    free(reader->free_slots);
    free(reader);
}

const char *vdb_block_reader_kind(const vdb_block_reader *reader)
{
    return reader->uses_uring ? "io_uring" : "threads";
}

uint32_t vdb_block_reader_in_flight(const vdb_block_reader *reader) { return reader->in_flight; }

int vdb_block_reader_submit(vdb_block_reader *reader, uint64_t offset, uint32_t length, void *buffer, uint64_t tag)
{
    if (!reader || !buffer)
        return vdb_fail(VDB_EINVAL, "block reader: NULL reader or buffer");
    if (length == 0)
        return vdb_fail(VDB_EINVAL, "block reader: a read of 0 bytes at offset %llu", (unsigned long long)offset);
    if (offset > (uint64_t)INT64_MAX - length)
        return vdb_fail(VDB_EINVAL, "block reader: offset %llu is past any file", (unsigned long long)offset);
    if (reader->in_flight >= reader->depth)
        return vdb_fail(VDB_EINVAL, "block reader: %u reads in flight already, the depth", reader->depth);

    uint32_t index = reader->free_slots[--reader->free_count];
    reader->slots[index] = (read_slot){.offset = offset, .tag = tag, .buffer = buffer, .length = length};
    reader->in_flight++;
#ifdef VDB_HAVE_IO_URING
    if (reader->uses_uring) {
        uring_prepare(reader, index);
        return VDB_OK;
    }
#endif
    ring_push(&reader->staged, reader->depth, index);
    return VDB_OK;
}

int vdb_block_reader_reap(vdb_block_reader *reader, uint32_t wait_for, uint64_t *tags, uint32_t max)
{
    if (!reader || (!tags && max > 0))
        return vdb_fail(VDB_EINVAL, "block reader: NULL reader, or NULL tags for %u", max);
    if (wait_for > reader->in_flight)
        wait_for = reader->in_flight;
    if (wait_for > max)
        wait_for = max;
#ifdef VDB_HAVE_IO_URING
    if (reader->uses_uring)
        return uring_reap(reader, wait_for, tags, max);
#endif
    return threads_reap(reader, wait_for, tags, max);
}
