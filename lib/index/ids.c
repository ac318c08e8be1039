/*
 * The hash table is kept at most half full, so a lookup is about one probe;
 * deleting shifts the entries after it back instead of leaving tombstones,
 * so a table that sees many upserts does not slow down.
 */
#include "index/ids.h"

#include "vdb.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_id(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xFF51AFD7ED558CCDull;
    id ^= id >> 33;
    return id;
}

void vdb_ids_init(vdb_ids *ids)
{
    *ids = (vdb_ids){0};
    ids->mapped = 1;
}

int vdb_ids_init_rows(vdb_ids *ids, uint64_t rows)
{
    vdb_ids_init(ids);
    ids->rows = rows;
    ids->node_of_row = malloc(sizeof *ids->node_of_row * (rows ? rows : 1));
    if (!ids->node_of_row)
        return VDB_ENOMEM;
    memset(ids->node_of_row, 0xFF, sizeof *ids->node_of_row * rows); /* VDB_NO_NODE everywhere */
    return VDB_OK;
}

void vdb_ids_init_section(vdb_ids *ids, const uint64_t *section, uint32_t count)
{
    *ids = (vdb_ids){.of_node = section, .count = count};
}

/* Where id is in the table, or the empty slot where it would go. */
static uint64_t slot_of(const vdb_ids *ids, uint64_t id)
{
    uint64_t mask = ids->slot_count - 1, at = hash_id(id) & mask;
    while (ids->slots[at].id != id && ids->slots[at].id != VDB_NO_ID)
        at = (at + 1) & mask;
    return at;
}

static void put(vdb_ids *ids, uint64_t id, uint32_t node)
{
    if (ids->node_of_row) {
        ids->node_of_row[id] = node;
        return;
    }
    uint64_t at = slot_of(ids, id);
    ids->slots[at] = (vdb_id_slot){id, node};
}

/* A table of `slot_count` slots holding the entries of the current one. */
static int rehash(vdb_ids *ids, uint64_t slot_count)
{
    vdb_id_slot *slots = malloc(sizeof *slots * slot_count);
    if (!slots)
        return VDB_ENOMEM;
    for (uint64_t i = 0; i < slot_count; i++)
        slots[i] = (vdb_id_slot){VDB_NO_ID, VDB_NO_NODE};
    vdb_ids grown = *ids;
    grown.slots = slots;
    grown.slot_count = slot_count;
    for (uint64_t i = 0; i < ids->slot_count; i++)
        if (ids->slots[i].id != VDB_NO_ID)
            put(&grown, ids->slots[i].id, ids->slots[i].node);
    free(ids->slots);
    ids->slots = slots;
    ids->slot_count = slot_count;
    return VDB_OK;
}

/* Room in the table for `entries` live ids. */
static int reserve_slots(vdb_ids *ids, uint64_t entries)
{
    if (ids->node_of_row || entries * 2 <= ids->slot_count)
        return VDB_OK;
    uint64_t slot_count = 64;
    while (slot_count < entries * 2)
        slot_count *= 2;
    return rehash(ids, slot_count);
}

int vdb_ids_map(vdb_ids *ids, const uint64_t *dead)
{
    int code = reserve_slots(ids, ids->count);
    if (code != VDB_OK)
        return code;
    for (uint32_t node = 0; node < ids->count; node++) {
        uint64_t id = ids->of_node[node];
        if (node == 0 || id > ids->largest)
            ids->largest = id;
        if (id != VDB_NO_ID && (!dead || !(dead[node / 64] >> (node % 64) & 1))) /* a damaged file may hold it */
            put(ids, id, node);
    }
    ids->mapped = 1;
    return VDB_OK;
}

int vdb_ids_own(vdb_ids *ids)
{
    uint64_t *owned = malloc(sizeof *owned * (ids->count ? ids->count : 1));
    if (!owned)
        return VDB_ENOMEM;
    memcpy(owned, ids->of_node, sizeof *owned * ids->count);
    ids->owned = owned;
    ids->of_node = owned;
    ids->capacity = ids->count;
    return ids->mapped ? VDB_OK : vdb_ids_map(ids, NULL);
}

int vdb_ids_reserve(vdb_ids *ids, uint64_t more)
{
    uint64_t needed = ids->count + more;
    if (needed > ids->capacity) {
        uint64_t capacity = ids->capacity + ids->capacity / 2;
        if (capacity < needed)
            capacity = needed;
        uint64_t *owned = realloc(ids->owned, sizeof *owned * capacity);
        if (!owned)
            return VDB_ENOMEM;
        ids->owned = owned;
        ids->of_node = owned;
        ids->capacity = capacity;
    }
    /* Live ids never outnumber nodes, so room for every node is room enough. */
    return reserve_slots(ids, needed);
}

uint32_t vdb_ids_find(const vdb_ids *ids, uint64_t id)
{
    if (ids->node_of_row)
        return id < ids->rows ? ids->node_of_row[id] : VDB_NO_NODE;
    if (ids->slot_count == 0 || id == VDB_NO_ID)
        return VDB_NO_NODE;
    const vdb_id_slot *slot = &ids->slots[slot_of(ids, id)];
    return slot->id == id ? slot->node : VDB_NO_NODE;
}

void vdb_ids_append(vdb_ids *ids, uint64_t id)
{
    if (ids->count == 0 || id > ids->largest)
        ids->largest = id;
    ids->owned[ids->count] = id;
    put(ids, id, ids->count++);
}

void vdb_ids_forget(vdb_ids *ids, uint64_t id)
{
    if (ids->node_of_row) {
        ids->node_of_row[id] = VDB_NO_NODE;
        return;
    }
    uint64_t mask = ids->slot_count - 1, hole = slot_of(ids, id);
    if (ids->slots[hole].id == VDB_NO_ID)
        return;
    /* Backward shift: move up each later entry of the run that may live in the hole. */
    for (uint64_t at = (hole + 1) & mask; ids->slots[at].id != VDB_NO_ID; at = (at + 1) & mask) {
        uint64_t home = hash_id(ids->slots[at].id) & mask;
        if (((at - home) & mask) >= ((at - hole) & mask)) {
            ids->slots[hole] = ids->slots[at];
            hole = at;
        }
    }
    ids->slots[hole] = (vdb_id_slot){VDB_NO_ID, VDB_NO_NODE};
}

void vdb_ids_destroy(vdb_ids *ids)
{
    free(ids->owned);
    free(ids->slots);
    free(ids->node_of_row);
    *ids = (vdb_ids){0};
}
