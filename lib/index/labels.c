/*
 * Ids and their uniqueness check. The hash set is kept at most half full,
 * so lookups stay about one probe.
 */
#include "index/labels.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY_SLOT UINT64_MAX

static uint64_t hash_id(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xFF51AFD7ED558CCDull;
    id ^= id >> 33;
    return id;
}

int vdb_labels_init_rows(vdb_labels *labels, uint64_t row_count)
{
    memset(labels, 0, sizeof *labels);
    labels->row_count = row_count;
    labels->row_bits = calloc((row_count + 63) / 64 + 1, sizeof *labels->row_bits);
    return labels->row_bits != NULL;
}

static void set_insert(uint64_t *slots, uint64_t capacity, uint64_t id)
{
    uint64_t at = hash_id(id) & (capacity - 1);
    while (slots[at] != EMPTY_SLOT)
        at = (at + 1) & (capacity - 1);
    slots[at] = id;
}

static int grow_set(vdb_labels *labels, uint64_t entries)
{
    if (entries * 2 <= labels->set_capacity)
        return 1;
    uint64_t capacity = 64;
    while (capacity < entries * 2)
        capacity *= 2;
    uint64_t *slots = malloc(sizeof *slots * capacity);
    if (!slots)
        return 0;
    memset(slots, 0xFF, sizeof *slots * capacity);
    for (uint64_t i = 0; i < labels->count; i++)
        set_insert(slots, capacity, labels->ids[i]);
    free(labels->set_slots);
    labels->set_slots = slots;
    labels->set_capacity = capacity;
    return 1;
}

int vdb_labels_reserve(vdb_labels *labels, uint64_t more)
{
    uint64_t needed = labels->count + more;
    if (needed > labels->capacity) {
        uint64_t capacity = labels->capacity + labels->capacity / 2;
        if (capacity < needed)
            capacity = needed;
        uint64_t *ids = realloc(labels->ids, sizeof *ids * capacity);
        if (!ids)
            return 0;
        labels->ids = ids;
        labels->capacity = capacity;
    }
    return labels->row_bits ? 1 : grow_set(labels, needed);
}

int vdb_labels_contains(const vdb_labels *labels, uint64_t id)
{
    if (labels->row_bits)
        return id < labels->row_count && (labels->row_bits[id / 64] >> (id % 64) & 1u);
    if (labels->set_capacity == 0)
        return 0;
    for (uint64_t at = hash_id(id) & (labels->set_capacity - 1);; at = (at + 1) & (labels->set_capacity - 1)) {
        if (labels->set_slots[at] == id)
            return 1;
        if (labels->set_slots[at] == EMPTY_SLOT)
            return 0;
    }
}

void vdb_labels_append(vdb_labels *labels, uint64_t id)
{
    labels->ids[labels->count++] = id;
    if (labels->row_bits)
        labels->row_bits[id / 64] |= UINT64_C(1) << (id % 64);
    else
        set_insert(labels->set_slots, labels->set_capacity, id);
}

void vdb_labels_destroy(vdb_labels *labels)
{
    free(labels->ids);
    free(labels->set_slots);
    free(labels->row_bits);
    memset(labels, 0, sizeof *labels);
}
