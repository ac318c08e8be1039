/*
 * The ids users know their vectors by, both ways: node -> id, an array (or
 * an index file's ids section, used in place), and id -> node for the live
 * nodes, which vdb_get, vdb_delete, vdb_upsert, allow-list filters and the
 * duplicate check of vdb_add need. The id -> node map is a hash table, or,
 * for an index over a vector file whose ids are its row numbers, an array
 * indexed by row (4 bytes a row, no hashing).
 */
#ifndef VDB_IDS_H
#define VDB_IDS_H

#include "util/limits.h"

#include <stdint.h>

#define VDB_NO_ID UINT64_MAX /* never an id: the "no result" marker */

typedef struct vdb_id_slot {
    uint64_t id; /* VDB_NO_ID when the slot is empty */
    uint32_t node;
} vdb_id_slot;

typedef struct vdb_ids {
    /* node -> id */
    const uint64_t *of_node; /* the id of every node, live or deleted */
    uint64_t *owned;         /* of_node's storage when it is not a file's section */
    uint64_t capacity;
    uint32_t count; /* nodes with ids */

    /* id -> node, live nodes only */
    vdb_id_slot *slots; /* hash table, linear probing, at most half full */
    uint64_t slot_count;
    uint32_t *node_of_row; /* instead, for row-number ids: VDB_NO_NODE for a row not in the index */
    uint64_t rows;
    int mapped; /* the map is built (an index opened from a file builds it on first use) */

    uint64_t largest; /* the largest id held, for vdb_add without ids; meaningful when count > 0 */
} vdb_ids;

/* Ids for vdb_create: empty, a hash map. */
void vdb_ids_init(vdb_ids *ids);

/* Ids for an index over a vector file of `rows` rows: each node's id is its row. VDB_OK or VDB_ENOMEM. */
int vdb_ids_init_rows(vdb_ids *ids, uint64_t rows);

/* Ids read in place from an index file's section; the id -> node map is built by vdb_ids_map. */
void vdb_ids_init_section(vdb_ids *ids, const uint64_t *section, uint32_t count);

/* Copy a file's section to the heap so that ids can be added, and build the map. VDB_OK or VDB_ENOMEM. */
int vdb_ids_own(vdb_ids *ids);

/* Build the id -> node map of every node not marked in `dead` (a bitmap, may be NULL). VDB_OK or VDB_ENOMEM. */
int vdb_ids_map(vdb_ids *ids, const uint64_t *dead);

/* Room for `more` nodes' ids without allocating. VDB_OK or VDB_ENOMEM, and nothing changed. */
int vdb_ids_reserve(vdb_ids *ids, uint64_t more);

/* The live node holding id, or VDB_NO_NODE. The map must be built. */
uint32_t vdb_ids_find(const vdb_ids *ids, uint64_t id);

/* Give the next node id (after vdb_ids_reserve; id is not live). */
void vdb_ids_append(vdb_ids *ids, uint64_t id);

/* Forget id's live node (it was deleted): the id may be given to a new node. */
void vdb_ids_forget(vdb_ids *ids, uint64_t id);

void vdb_ids_destroy(vdb_ids *ids);

#endif
