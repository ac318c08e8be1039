/*
 * The payloads of the journal's change records (docs/format.md, "Journal"),
 * written as each change is made and applied again when an index is opened.
 *
 *   add, upsert: count (u64), first id (u64; UINT64_MAX when the ids follow),
 *                the ids (count u64) when they follow, the vectors (count * dim f32)
 *   delete:      count (u64), the ids (count u64)
 */
#ifndef VDB_API_JOURNAL_RECORDS_H
#define VDB_API_JOURNAL_RECORDS_H

#include "file/journal.h"
#include "index/index.h"

/*
 * Append a change that has passed every check to the index's journal,
 * before anything is reserved or changed for it (reserving nodes in the
 * graph cannot be undone, so it comes right before the change): VDB_OK
 * (also with no journal), or VDB_EIO / VDB_ENOSPC and then the change must
 * not be made. ids NULL: first_id, first_id + 1, ...
 */
int vdb_log_vectors(vdb_index *index, vdb_record_type type, const float *vectors, uint64_t n, const uint64_t *ids,
                    uint64_t first_id);
int vdb_log_delete(vdb_index *index, const uint64_t *ids, uint64_t n);

/*
 * Take back the last change logged, when reserving memory for it failed:
 * `mark` is vdb_log_mark() from before it was logged.
 */
uint64_t vdb_log_mark(const vdb_index *index);
void vdb_unlog(vdb_index *index, uint64_t mark);

/* What a replay changes, and the journal it reads (for messages). */
typedef struct {
    vdb_index *index;
    const char *journal_path;
} vdb_replay_target;

/*
 * A vdb_journal_apply that makes one record's change on the index (context:
 * a vdb_replay_target), checked as a caller's would be. VDB_EFORMAT, naming
 * the journal, for a payload that does not parse or a change the index refuses.
 */
int vdb_apply_record(void *target, vdb_record_type type, const unsigned char *payload, uint64_t length);

#endif
