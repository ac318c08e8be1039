/*
 * The journal beside a writable index file, "<index>-journal": the changes
 * made since the index file was written, appended as records and made
 * durable in groups, each closed by a commit record and one fsync. Its
 * format is in docs/format.md ("Journal").
 *
 * The journal extends one version of the index file, named in its header by
 * that file's header CRC and length. A save over the index file (a
 * checkpoint) first appends a checkpoint record naming the new file, then
 * renames the new file over the old one, then empties the journal: so after
 * a crash at any point the journal either extends the file found beside it
 * or says that file already holds its changes.
 *
 * One process writes a journal at a time: the writer holds an exclusive
 * flock on it from open to close. Readers take no lock; they read the
 * committed prefix, which a writer only ever extends (or empties, after a
 * checkpoint).
 */
#ifndef VDB_FILE_JOURNAL_H
#define VDB_FILE_JOURNAL_H

#include <stdint.h>

typedef enum {
    VDB_RECORD_ADD = 1,        /* vectors with their ids */
    VDB_RECORD_UPSERT = 2,     /* vectors with their ids, replacing any held */
    VDB_RECORD_DELETE = 3,     /* ids */
    VDB_RECORD_COMMIT = 4,     /* closes a group: the records before it, back to the last commit */
    VDB_RECORD_CHECKPOINT = 5, /* the index file is being replaced by one that holds every commit before */
} vdb_record_type;

/* The index file a journal extends. */
typedef struct {
    uint32_t header_crc;
    uint64_t length;
} vdb_journal_base;

typedef struct {
    int fd;
    char *path;
    vdb_journal_base base;
    uint64_t length;    /* bytes in the file: header and records */
    uint64_t committed; /* bytes up to the end of the last commit record (the header's end when none) */
    uint64_t commits;   /* commit records so far */
    int broken;         /* a failed fsync: what reached the disk is unknown, so nothing more is committed */
} vdb_journal;

/* The identity of an index file: its header's CRC, which covers its sections' CRCs, and its length. */
vdb_journal_base vdb_journal_base_of(const unsigned char *index_header, uint64_t index_length);

/* *out = "<index_path>-journal" (malloc'd); VDB_EINVAL when that name is over NAME_MAX, VDB_ENOMEM. */
int vdb_journal_path(const char *index_path, char **out);

/*
 * Open the journal of index_path for writing, creating it (extending `base`)
 * when there is none, and lock it: VDB_EBUSY when another process holds it.
 * Then the caller replays it (vdb_journal_replay) and truncates what was not
 * committed (vdb_journal_drop_uncommitted) before appending.
 */
int vdb_journal_open_writer(vdb_journal *journal, const char *index_path, vdb_journal_base base);

/*
 * Open and lock an existing journal without replaying it, to keep a writer
 * off while its index file is replaced: *found = 0 (and VDB_OK) when there
 * is none; VDB_EBUSY when a writer holds it.
 */
int vdb_journal_lock_existing(vdb_journal *journal, const char *index_path, int *found);

/* Whether the journal holds anything past its header (records, committed or not). */
int vdb_journal_has_records(const vdb_journal *journal);

/* Open an existing journal to read it; *found = 0 (and VDB_OK) when there is none. */
int vdb_journal_open_reader(vdb_journal *journal, const char *index_path, int *found);

/*
 * Called for each committed record in order, commits and checkpoints
 * excepted. `payload` is valid during the call. A non-zero return stops the
 * replay and is returned.
 */
typedef int (*vdb_journal_apply)(void *context, vdb_record_type type, const unsigned char *payload, uint64_t length);

/*
 * Apply the committed records the index file `base` names lacks: those after
 * the last checkpoint to that file, or all when the journal extends it.
 * VDB_OK with nothing applied when no record is committed. VDB_EFORMAT,
 * naming the journal, when it extends some other file, or when a committed
 * record is damaged (a later commit is intact): then, with `keep_intact`,
 * the commits before the damage are applied and VDB_OK returned instead. A
 * torn or uncommitted tail is not damage: it is what a crash leaves, and is
 * ignored. Afterwards journal->committed is where appends may go on (0: the
 * journal is to be started afresh).
 */
int vdb_journal_replay(vdb_journal *journal, vdb_journal_base base, int keep_intact, vdb_journal_apply apply,
                       void *context);

/* Cut the journal back to its last commit (after a replay, before the first append). */
int vdb_journal_drop_uncommitted(vdb_journal *journal);

/* A piece of a record's payload. */
typedef struct {
    const void *data;
    uint64_t length;
} vdb_journal_part;

/*
 * Append a record whose payload is the parts one after another; durable only
 * once committed. VDB_EIO or VDB_ENOSPC leaves the journal as it was.
 */
int vdb_journal_append_parts(vdb_journal *journal, vdb_record_type type, const vdb_journal_part *parts, int count);

/* The same with a payload in one piece. */
int vdb_journal_append(vdb_journal *journal, vdb_record_type type, const void *payload, uint64_t length);

/*
 * Cut the journal back to `length` (taken from journal->length before an
 * append), to take back a record whose change could not be made. When the
 * cut fails the journal is marked broken, so that the record is never committed.
 */
void vdb_journal_take_back(vdb_journal *journal, uint64_t length);

/* Append a commit record and fsync: every record before it is durable. VDB_EIO when the fsync fails. */
int vdb_journal_commit(vdb_journal *journal);

/* Before a checkpoint's rename: a durable record naming the file that replaces the base. */
int vdb_journal_mark_checkpoint(vdb_journal *journal, vdb_journal_base replacement);

/* After a checkpoint's rename: empty the journal and let it extend the new file. */
int vdb_journal_reset(vdb_journal *journal, vdb_journal_base base);

/* Close (and unlock) the journal; the file stays. */
void vdb_journal_close(vdb_journal *journal);

/*
 * A writer's close: cut off what was not committed, remove the journal when
 * nothing is left in it, then close. The file a journal's name refers to
 * must not change meanwhile: an index is written under one name.
 */
void vdb_journal_close_writer(vdb_journal *journal);

#endif
