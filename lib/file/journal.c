/*
 * The journal's bytes (docs/format.md, "Journal"), little-endian:
 *
 *   header, 64 bytes: "VDBJRNL\0", version 1, header size 64, the base
 *     file's header CRC, 0, the base file's length, 28 zero bytes, and a
 *     CRC32C of the 60 bytes before it;
 *   records, each at a multiple of 8: a CRC32C of everything after it up to
 *     the payload's end, the type, the payload's length (u64), the payload,
 *     zeros to the next multiple of 8.
 *
 * A record is appended with one pwrite at the journal's end and counts once
 * a commit record after it is on the disk. A crash can leave a torn record
 * or records without a commit at the end, never a change in the middle; so
 * a bad record with an intact commit somewhere after it is damage, and one
 * without is a tail to ignore.
 */
#include "file/journal.h"
#include "file/checksum.h"
#include "file/format_header.h"
#include "util/error.h"
#include "vdb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum { HEADER_SIZE = 64, RECORD_HEADER = 16, ALIGN = 8, JOURNAL_VERSION = 1 };

static const char MAGIC[8] = "VDBJRNL";
static const char SUFFIX[] = "-journal";

static void put32(unsigned char *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        at[i] = (unsigned char)(value >> 8 * i);
}

static void put64(unsigned char *at, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        at[i] = (unsigned char)(value >> 8 * i);
}

static uint32_t get32(const unsigned char *at)
{
    uint32_t value = 0;
    for (int i = 3; i >= 0; i--)
        value = value << 8 | at[i];
    return value;
}

static uint64_t get64(const unsigned char *at)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = value << 8 | at[i];
    return value;
}

static uint64_t padded(uint64_t length) { return (length + ALIGN - 1) / ALIGN * ALIGN; }

vdb_journal_base vdb_journal_base_of(const unsigned char *index_header, uint64_t index_length)
{
    /* The header's own CRC, read, not computed: a CRC over bytes that end in their CRC is the same for every file. */
    return (vdb_journal_base){get32(index_header + VDB_HEADER_CRC_OFFSET), index_length};
}

/* Whether "<index_path>-journal" is a name a folder can hold. */
static int name_fits(const char *index_path)
{
    const char *slash = strrchr(index_path, '/');
    return strlen(slash ? slash + 1 : index_path) + sizeof SUFFIX - 1 <= NAME_MAX;
}

int vdb_journal_path(const char *index_path, char **out)
{
    if (!name_fits(index_path))
        return vdb_fail(VDB_EINVAL,
                        "index '%s': its journal's name would be over %d bytes (an index's name may have %zu)",
                        index_path, NAME_MAX, (size_t)NAME_MAX - (sizeof SUFFIX - 1));
    size_t length = strlen(index_path) + sizeof SUFFIX;
    char *path = malloc(length);
    if (!path)
        return vdb_fail(VDB_ENOMEM, "out of memory opening the journal of '%s'", index_path);
    memcpy(path, index_path, length - sizeof SUFFIX);
    memcpy(path + length - sizeof SUFFIX, SUFFIX, sizeof SUFFIX);
    *out = path;
    return VDB_OK;
}

static void encode_header(unsigned char bytes[HEADER_SIZE], vdb_journal_base base)
{
    memset(bytes, 0, HEADER_SIZE);
    memcpy(bytes, MAGIC, sizeof MAGIC);
    put32(bytes + 8, JOURNAL_VERSION);
    put32(bytes + 12, HEADER_SIZE);
    put32(bytes + 16, base.header_crc);
    put64(bytes + 24, base.length);
    put32(bytes + 60, vdb_crc32c(0, bytes, 60));
}

/* VDB_OK and *base, or VDB_EFORMAT / VDB_EVERSION naming the journal. */
static int decode_header(const unsigned char *bytes, uint64_t length, const char *path, vdb_journal_base *base)
{
    if (length < HEADER_SIZE || memcmp(bytes, MAGIC, sizeof MAGIC) != 0)
        return vdb_fail(VDB_EFORMAT, "journal '%s' is not a libvdb journal", path);
    if (get32(bytes + 60) != vdb_crc32c(0, bytes, 60))
        return vdb_fail(VDB_EFORMAT, "journal '%s' is corrupt: header checksum mismatch", path);
    if (get32(bytes + 8) != JOURNAL_VERSION)
        return vdb_fail(VDB_EVERSION, "journal '%s' has version %u; this library reads version %d", path,
                        get32(bytes + 8), JOURNAL_VERSION);
    if (get32(bytes + 12) != HEADER_SIZE)
        return vdb_fail(VDB_EFORMAT, "journal '%s' is corrupt: header size %u", path, get32(bytes + 12));
    *base = (vdb_journal_base){get32(bytes + 16), get64(bytes + 24)};
    return VDB_OK;
}

/* The record at `offset`: its type and payload when whole and intact, else 0. */
static int read_record(const unsigned char *bytes, uint64_t length, uint64_t offset, uint32_t *type,
                       uint64_t *payload_length)
{
    if (length - offset < RECORD_HEADER)
        return 0;
    const unsigned char *record = bytes + offset;
    uint64_t size = get64(record + 8);
    if (size > length - offset - RECORD_HEADER)
        return 0;
    if (vdb_crc32c(0, record + 4, RECORD_HEADER - 4 + size) != get32(record))
        return 0;
    *type = get32(record + 4);
    *payload_length = size;
    return *type >= VDB_RECORD_ADD && *type <= VDB_RECORD_CHECKPOINT;
}

/* Whether an intact commit record starts at offset: fixed size, so a search for one is linear in the file. */
static int commit_at(const unsigned char *bytes, uint64_t length, uint64_t offset)
{
    const unsigned char *record = bytes + offset;
    return length - offset >= RECORD_HEADER + 8 && get32(record + 4) == VDB_RECORD_COMMIT && get64(record + 8) == 8 &&
           vdb_crc32c(0, record + 4, RECORD_HEADER - 4 + 8) == get32(record);
}

/* What a scan of the records found. */
typedef struct {
    uint64_t committed; /* end of the last commit record before any bad record */
    uint64_t commits;
    uint64_t bad_at; /* the first bad record's offset, or the file's length */
    int damaged;     /* an intact commit record lies after the bad one */
    /* The end of the last committed checkpoint record naming the file the journal is applied to, or 0. */
    uint64_t checkpointed_at;
} scan;

/* The records of a journal that is to be applied to the file `base` names. */
static scan scan_records(const unsigned char *bytes, uint64_t length, vdb_journal_base base)
{
    scan found = {HEADER_SIZE, 0, length, 0, 0};
    uint64_t offset = HEADER_SIZE;
    uint32_t type;
    uint64_t size;
    while (offset < length) {
        if (!read_record(bytes, length, offset, &type, &size)) {
            found.bad_at = offset;
            break;
        }
        const unsigned char *payload = bytes + offset + RECORD_HEADER;
        offset += padded(RECORD_HEADER + size);
        if (type == VDB_RECORD_COMMIT)
            found.commits++;
        if (type == VDB_RECORD_COMMIT || type == VDB_RECORD_CHECKPOINT)
            found.committed = offset;
        if (type == VDB_RECORD_CHECKPOINT && size == 16 && get32(payload) == base.header_crc &&
            get64(payload + 8) == base.length)
            found.checkpointed_at = offset;
    }
    /* Damage or a torn tail: only damage has an intact commit after it. */
    for (uint64_t at = padded(found.bad_at + 1); at < length && !found.damaged; at += ALIGN)
        found.damaged = commit_at(bytes, length, at);
    return found;
}

static int sync_folder_of(const char *path)
{
    char *folder = strdup(path);
    if (!folder)
        return -1;
    char *slash = strrchr(folder, '/');
    if (slash)
        *(slash == folder ? slash + 1 : slash) = '\0';
    int fd = open(slash ? folder : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(folder);
    if (fd < 0)
        return -1;
    int status = fsync(fd);
    close(fd);
    return status;
}

static int write_all(int fd, const void *data, uint64_t length, uint64_t offset)
{
    const unsigned char *bytes = data;
    while (length > 0) {
        ssize_t done = pwrite(fd, bytes, length, (off_t)offset);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        bytes += done;
        length -= (uint64_t)done;
        offset += (uint64_t)done;
    }
    return 0;
}

/* Read up to length bytes from the start of fd: the count read (less at the end of the file), or UINT64_MAX. */
static uint64_t read_upto(int fd, unsigned char *bytes, uint64_t length)
{
    uint64_t done = 0;
    while (done < length) {
        ssize_t got = pread(fd, bytes + done, length - done, (off_t)done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return UINT64_MAX;
        if (got == 0)
            break;
        done += (uint64_t)got;
    }
    return done;
}

/* Empty the journal and write a header for `base`, durably. Emptied first: a crash leaves no records on it. */
static int write_fresh(vdb_journal *journal, vdb_journal_base base)
{
    unsigned char header[HEADER_SIZE];
    encode_header(header, base);
    if (ftruncate(journal->fd, 0) != 0 || write_all(journal->fd, header, HEADER_SIZE, 0) != 0 ||
        fdatasync(journal->fd) != 0)
        return vdb_fail_errno("cannot write journal '%s'", journal->path);
    journal->base = base;
    journal->length = journal->committed = HEADER_SIZE;
    journal->commits = 0;
    return VDB_OK;
}

/* Open the journal file with flags; journal->fd is -1 (errno set) when open refused. */
static int open_file(vdb_journal *journal, const char *index_path, int flags)
{
    *journal = (vdb_journal){.fd = -1};
    int code = vdb_journal_path(index_path, &journal->path);
    if (code == VDB_OK)
        journal->fd = open(journal->path, flags | O_CLOEXEC, 0666);
    return code;
}

static int lock(vdb_journal *journal, const char *index_path)
{
    if (flock(journal->fd, LOCK_EX | LOCK_NB) == 0)
        return VDB_OK;
    if (errno != EWOULDBLOCK)
        return vdb_fail_errno("cannot lock journal '%s'", journal->path);
    return vdb_fail(VDB_EBUSY,
                    "index '%s' is open for writing elsewhere (another process, or another handle), "
                    "which holds the lock on '%s'",
                    index_path, journal->path);
}

int vdb_journal_open_writer(vdb_journal *journal, const char *index_path, vdb_journal_base base)
{
    int code = open_file(journal, index_path, O_RDWR | O_CREAT);
    if (code != VDB_OK)
        return code;
    struct stat status;
    if (journal->fd < 0 || fstat(journal->fd, &status) != 0)
        code = vdb_fail_errno("cannot open journal '%s'", journal->path);
    else
        code = lock(journal, index_path);
    if (code == VDB_OK) {
        journal->length = (uint64_t)status.st_size;
        journal->base = base;
        /* A new journal: its header, and its name in the folder, are durable before any record counts. */
        if (journal->length == 0 && (code = write_fresh(journal, base)) == VDB_OK && sync_folder_of(journal->path))
            code = vdb_fail_errno("cannot write journal '%s'", journal->path);
    }
    if (code != VDB_OK)
        vdb_journal_close(journal);
    return code;
}

int vdb_journal_lock_existing(vdb_journal *journal, const char *index_path, int *found)
{
    *found = 0;
    *journal = (vdb_journal){.fd = -1};
    if (!name_fits(index_path))
        return VDB_OK; /* an index whose journal cannot be named has none */
    int code = open_file(journal, index_path, O_RDWR);
    if (code != VDB_OK || (journal->fd < 0 && errno == ENOENT)) {
        vdb_journal_close(journal);
        return code;
    }
    struct stat status;
    if (journal->fd < 0 || fstat(journal->fd, &status) != 0)
        code = vdb_fail_errno("cannot open journal '%s'", journal->path);
    else
        code = lock(journal, index_path);
    if (code != VDB_OK) {
        vdb_journal_close(journal);
        return code;
    }
    journal->length = (uint64_t)status.st_size;
    *found = 1;
    return VDB_OK;
}

int vdb_journal_has_records(const vdb_journal *journal) { return journal->length > HEADER_SIZE; }

int vdb_journal_open_reader(vdb_journal *journal, const char *index_path, int *found)
{
    *found = 0;
    *journal = (vdb_journal){.fd = -1};
    if (!name_fits(index_path))
        return VDB_OK;
    int code = open_file(journal, index_path, O_RDONLY);
    if (code != VDB_OK)
        return code;
    struct stat status;
    if (journal->fd < 0 && errno == ENOENT) {
        vdb_journal_close(journal);
        return VDB_OK;
    }
    if (journal->fd < 0 || fstat(journal->fd, &status) != 0) {
        code = vdb_fail_errno("cannot open journal '%s'", journal->path);
        vdb_journal_close(journal);
        return code;
    }
    journal->length = (uint64_t)status.st_size;
    *found = 1;
    return VDB_OK;
}

/* Apply the change records in [from, end), all scanned whole and intact. */
static int apply_committed(const unsigned char *bytes, uint64_t from, uint64_t end, vdb_journal_apply apply,
                           void *context)
{
    uint32_t type;
    uint64_t size;
    for (uint64_t offset = from; offset < end; offset += padded(RECORD_HEADER + size)) {
        read_record(bytes, end, offset, &type, &size);
        if (type == VDB_RECORD_COMMIT || type == VDB_RECORD_CHECKPOINT)
            continue;
        int code = apply(context, (vdb_record_type)type, bytes + offset + RECORD_HEADER, size);
        if (code != VDB_OK)
            return code;
    }
    return VDB_OK;
}

static int same_base(vdb_journal_base a, vdb_journal_base b)
{
    return a.header_crc == b.header_crc && a.length == b.length;
}

int vdb_journal_replay(vdb_journal *journal, vdb_journal_base base, int keep_intact, vdb_journal_apply apply,
                       void *context)
{
    journal->base = base;
    journal->committed = 0; /* until a scan finds something to keep, the next writer starts it afresh */
    journal->commits = 0;
    /* Empty, or a header a crash cut short before any record: nothing to apply. */
    if (journal->length <= HEADER_SIZE)
        return VDB_OK;
    /* Read, not mapped: a reader's journal may be emptied by its writer meanwhile, and a mapping would then fault. */
    unsigned char *bytes = malloc(journal->length);
    if (!bytes)
        return vdb_fail(VDB_ENOMEM, "out of memory reading journal '%s' (%llu bytes)", journal->path,
                        (unsigned long long)journal->length);
    uint64_t got = read_upto(journal->fd, bytes, journal->length);
    if (got == UINT64_MAX) {
        free(bytes);
        return vdb_fail_errno("cannot read journal '%s'", journal->path);
    }
    journal->length = got; /* shorter when a writer emptied it meanwhile: what was read is all there is */
    /* Read only after decode_header succeeded; set anyway, since GCC 12 at -O2 cannot tell (maybe-uninitialized). */
    vdb_journal_base extends = {0};
    int code = decode_header(bytes, journal->length, journal->path, &extends);
    scan found = scan_records(bytes, journal->length, base);
    /*
     * Where the changes this file lacks begin: after the last checkpoint to
     * this file (a crash came after its rename, or its reset failed), else
     * at the first record of a journal that extends this file.
     */
    uint64_t from = found.checkpointed_at ? found.checkpointed_at : HEADER_SIZE;
    if (code != VDB_OK) {
        /* a bad header with records after it: nothing can be trusted */
    } else if (found.committed == HEADER_SIZE && !found.damaged) {
        /* No committed record: whatever file it extended, nothing to apply. */
    } else if (!found.checkpointed_at && !same_base(extends, base)) {
        code = vdb_fail(VDB_EFORMAT,
                        "journal '%s' extends another version of its index file (one of %llu bytes): "
                        "remove it to open the file as it is, without those changes",
                        journal->path, (unsigned long long)extends.length);
    } else if (found.damaged && !keep_intact) {
        code = vdb_fail(VDB_EFORMAT,
                        "journal '%s' is damaged at byte %llu, in commit %llu: that commit and later ones cannot "
                        "be applied; commits 1 to %llu are intact (open with VDB_OPEN_RECOVER to keep them)",
                        journal->path, (unsigned long long)found.bad_at, (unsigned long long)found.commits + 1,
                        (unsigned long long)found.commits);
    } else if ((code = apply_committed(bytes, from, found.committed, apply, context)) == VDB_OK) {
        journal->committed = found.committed;
        journal->commits = found.commits;
    }
    free(bytes);
    return code;
}

int vdb_journal_drop_uncommitted(vdb_journal *journal)
{
    if (journal->committed < HEADER_SIZE)
        return write_fresh(journal, journal->base);
    if (journal->length != journal->committed && ftruncate(journal->fd, (off_t)journal->committed) != 0)
        return vdb_fail_errno("cannot truncate journal '%s'", journal->path);
    journal->length = journal->committed;
    return VDB_OK;
}

int vdb_journal_append_parts(vdb_journal *journal, vdb_record_type type, const vdb_journal_part *parts, int count)
{
    uint64_t length = 0;
    for (int i = 0; i < count; i++)
        length += parts[i].length;
    unsigned char header[RECORD_HEADER], padding[ALIGN] = {0};
    put32(header + 4, (uint32_t)type);
    put64(header + 8, length);
    uint32_t crc = vdb_crc32c(0, header + 4, RECORD_HEADER - 4);
    for (int i = 0; i < count; i++)
        crc = vdb_crc32c(crc, parts[i].data, parts[i].length);
    put32(header, crc);
    uint64_t start = journal->length, at = start + RECORD_HEADER, size = padded(RECORD_HEADER + length);
    int failed = write_all(journal->fd, header, RECORD_HEADER, start) != 0;
    for (int i = 0; i < count && !failed; at += parts[i].length, i++)
        failed = write_all(journal->fd, parts[i].data, parts[i].length, at) != 0;
    if (failed || write_all(journal->fd, padding, start + size - at, at) != 0) {
        int code = vdb_fail_errno("cannot append to journal '%s'", journal->path);
        if (ftruncate(journal->fd, (off_t)start) != 0) {
            /* harmless: the next append overwrites the piece, and a replay ignores it as a torn tail */
        }
        return code;
    }
    journal->length = start + size;
    return VDB_OK;
}

int vdb_journal_append(vdb_journal *journal, vdb_record_type type, const void *payload, uint64_t length)
{
    vdb_journal_part part = {payload, length};
    return vdb_journal_append_parts(journal, type, &part, 1);
}

/* Append a record that closes a group, and make it durable. */
static int append_durably(vdb_journal *journal, vdb_record_type type, const void *payload, uint64_t length)
{
    if (journal->broken)
        return vdb_fail(VDB_EIO, "journal '%s': an earlier fsync failed; reopen the index to go on", journal->path);
    int code = vdb_journal_append(journal, type, payload, length);
    if (code != VDB_OK)
        return code;
    if (fdatasync(journal->fd) != 0) {
        journal->broken = 1; /* the kernel may have dropped the pages it failed to write: trust nothing more */
        return vdb_fail_errno("cannot commit to journal '%s'", journal->path);
    }
    journal->committed = journal->length;
    return VDB_OK;
}

int vdb_journal_commit(vdb_journal *journal)
{
    unsigned char sequence[8];
    put64(sequence, journal->commits + 1);
    int code = append_durably(journal, VDB_RECORD_COMMIT, sequence, sizeof sequence);
    if (code == VDB_OK)
        journal->commits++;
    return code;
}

int vdb_journal_mark_checkpoint(vdb_journal *journal, vdb_journal_base replacement)
{
    unsigned char payload[16] = {0};
    put32(payload, replacement.header_crc);
    put64(payload + 8, replacement.length);
    return append_durably(journal, VDB_RECORD_CHECKPOINT, payload, sizeof payload);
}

int vdb_journal_reset(vdb_journal *journal, vdb_journal_base base) { return write_fresh(journal, base); }

void vdb_journal_close(vdb_journal *journal)
{
    if (journal->fd >= 0)
        close(journal->fd); /* and the lock with it */
    free(journal->path);
    *journal = (vdb_journal){.fd = -1};
}
