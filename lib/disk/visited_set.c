#include "disk/visited_set.h"

#include "vdb.h"

#include <stdlib.h>
#include <string.h>

/* Slots for `nodes`: a power of two, at most half full. */
static uint64_t slots_for(uint64_t nodes)
{
    uint64_t slots = 64;
    while (slots < 2 * nodes)
        slots *= 2;
    return slots;
}

static uint32_t home_of(const vdb_visited_set *set, uint32_t node) { return (node * 0x9E3779B1u) & set->mask; }

static int resize(vdb_visited_set *set, uint64_t slots)
{
    if (slots > (uint64_t)UINT32_MAX + 1)
        return VDB_ENOMEM;
    uint32_t *fresh = calloc(slots, sizeof *fresh);
    if (!fresh)
        return VDB_ENOMEM;
    uint32_t *old = set->slots;
    uint64_t old_slots = old ? (uint64_t)set->mask + 1 : 0;
    set->slots = fresh;
    set->mask = (uint32_t)(slots - 1);
    for (uint64_t i = 0; i < old_slots; i++)
        if (old[i] != 0) {
            uint32_t at = home_of(set, old[i] - 1);
            while (fresh[at] != 0)
                at = (at + 1) & set->mask;
            fresh[at] = old[i];
        }
    free(old);
    return VDB_OK;
}

int vdb_visited_set_clear(vdb_visited_set *set, uint32_t expected)
{
    /* Room for what the last search saw too, so that searches which all see more than expected do not each grow it. */
    uint64_t wanted = slots_for(expected > set->count ? expected : set->count);
    uint64_t have = set->slots ? (uint64_t)set->mask + 1 : 0;
    set->count = 0;
    if (have < wanted || have > 4 * wanted) { /* a set grown by a wide search shrinks back, so clearing stays cheap */
        free(set->slots);
        set->slots = NULL;
        return resize(set, wanted);
    }
    memset(set->slots, 0, sizeof *set->slots * have);
    return VDB_OK;
}

void vdb_visited_set_destroy(vdb_visited_set *set)
{
    free(set->slots);
    memset(set, 0, sizeof *set);
}

int vdb_visited_set_add(vdb_visited_set *set, uint32_t node)
{
    uint32_t at = home_of(set, node);
    for (; set->slots[at] != 0; at = (at + 1) & set->mask)
        if (set->slots[at] == node + 1)
            return 1;
    if (2 * (uint64_t)(set->count + 1) > (uint64_t)set->mask + 1) {
        int code = resize(set, 2 * ((uint64_t)set->mask + 1));
        if (code != VDB_OK)
            return code;
        for (at = home_of(set, node); set->slots[at] != 0;)
            at = (at + 1) & set->mask;
    }
    set->slots[at] = node + 1;
    set->count++;
    return 0;
}
