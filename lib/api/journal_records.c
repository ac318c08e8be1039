/*
 * Change records: encoding a change for the journal, and making it again
 * from the journal through the same checked calls a caller uses, so a
 * journal cannot put into an index what the API would refuse.
 */
#include "api/journal_records.h"
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vdb_log_vectors(vdb_index *index, vdb_record_type type, const float *vectors, uint64_t n, const uint64_t *ids,
                    uint64_t first_id)
{
    if (!index->journal)
        return VDB_OK;
    uint64_t head[2] = {n, ids ? VDB_NO_ID : first_id};
    vdb_journal_part parts[3] = {{head, sizeof head}};
    int count = 1;
    if (ids)
        parts[count++] = (vdb_journal_part){ids, sizeof *ids * n};
    parts[count++] = (vdb_journal_part){vectors, sizeof *vectors * n * index->config.dim};
    return vdb_journal_append_parts(index->journal, type, parts, count);
}

int vdb_log_delete(vdb_index *index, const uint64_t *ids, uint64_t n)
{
    if (!index->journal)
        return VDB_OK;
    vdb_journal_part parts[2] = {{&n, sizeof n}, {ids, sizeof *ids * n}};
    return vdb_journal_append_parts(index->journal, VDB_RECORD_DELETE, parts, 2);
}

uint64_t vdb_log_mark(const vdb_index *index) { return index->journal ? index->journal->length : 0; }

void vdb_unlog(vdb_index *index, uint64_t mark)
{
    if (index->journal)
        vdb_journal_take_back(index->journal, mark);
}

static uint64_t read_u64(const unsigned char *at)
{
    uint64_t value;
    memcpy(&value, at, sizeof value);
    return value;
}

static const char *type_name(vdb_record_type type)
{
    return type == VDB_RECORD_DELETE ? "delete" : type == VDB_RECORD_ADD ? "add" : "upsert";
}

static int malformed(const vdb_replay_target *target, vdb_record_type type, uint64_t length)
{
    return vdb_fail(VDB_EFORMAT, "journal '%s': a committed %s record of %llu bytes does not parse",
                    target->journal_path, type_name(type), (unsigned long long)length);
}

/*
 * An add that numbered its vectors from first_id. Given the ids outright, so
 * that it does not hang on how this index would number them: a checkpoint
 * may have dropped deleted ids that the writer still counted.
 */
static int add_numbered(const vdb_replay_target *target, const float *vectors, uint64_t n, uint64_t first_id)
{
    if (n > VDB_NO_ID - first_id)
        return vdb_fail(VDB_EFORMAT, "journal '%s': a committed add record numbers its vectors past the largest id",
                        target->journal_path);
    uint64_t *ids = malloc(sizeof *ids * n);
    if (!ids)
        return vdb_fail(VDB_ENOMEM, "out of memory applying a journal record of %llu vectors", (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++)
        ids[i] = first_id + i;
    int code = vdb_add(target->index, vectors, n, ids);
    free(ids);
    return code;
}

int vdb_apply_record(void *context, vdb_record_type type, const unsigned char *payload, uint64_t length)
{
    const vdb_replay_target *target = context;
    vdb_index *index = target->index;
    if (length < 8)
        return malformed(target, type, length);
    uint64_t n = read_u64(payload);
    if (n == 0 || n > VDB_MAX_NODES)
        return malformed(target, type, length);
    /* Records are 8-aligned and so are their payloads: ids and vectors are used where they lie. */
    int code;
    if (type == VDB_RECORD_DELETE) {
        if (length != 8 + 8 * n)
            return malformed(target, type, length);
        code = vdb_delete(index, (const uint64_t *)(const void *)(payload + 8), n);
    } else if (type == VDB_RECORD_ADD || type == VDB_RECORD_UPSERT) {
        if (length < 16)
            return malformed(target, type, length);
        uint64_t first_id = read_u64(payload + 8);
        uint64_t ids_bytes = first_id == VDB_NO_ID ? 8 * n : 0;
        if (length != 16 + ids_bytes + sizeof(float) * n * index->config.dim)
            return malformed(target, type, length);
        const uint64_t *ids = ids_bytes ? (const uint64_t *)(const void *)(payload + 16) : NULL;
        const float *vectors = (const float *)(const void *)(payload + 16 + ids_bytes);
        if (type == VDB_RECORD_UPSERT && !ids)
            return malformed(target, type, length);
        if (ids)
            code = type == VDB_RECORD_ADD ? vdb_add(index, vectors, n, ids) : vdb_upsert(index, vectors, n, ids);
        else
            code = add_numbered(target, vectors, n, first_id);
    } else {
        return vdb_fail(VDB_EFORMAT, "journal '%s': a committed record of unknown type %d", target->journal_path,
                        (int)type);
    }
    if (code != VDB_OK && code != VDB_ENOMEM) {
        char reason[256];
        snprintf(reason, sizeof reason, "%s", vdb_last_error());
        code = vdb_fail(VDB_EFORMAT, "journal '%s': a committed %s record does not apply: %s", target->journal_path,
                        type_name(type), reason);
    }
    return code;
}
