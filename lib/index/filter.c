/*
 * The filter object. An allow-list keeps its distinct ids twice: as a list
 * for exact scans and as a hash set (at most half full, linear probing) for
 * the graph walk's one question, "is this id allowed?".
 */
#include "index/filter.h"

#include "util/error.h"

#include <stdlib.h>

static uint64_t hash_id(uint64_t id)
{
    id ^= id >> 33;
    id *= 0xC4CEB9FE1A85EC53ull;
    id ^= id >> 33;
    return id;
}

static vdb_filter *new_filter(void)
{
    vdb_filter *filter = calloc(1, sizeof *filter);
    if (filter)
        pthread_mutex_init(&filter->lock, NULL);
    return filter;
}

/* Add id to the set; 0 when it was there already. */
static int set_add(vdb_filter *filter, uint64_t id)
{
    uint64_t mask = filter->slot_count - 1, at = hash_id(id) & mask;
    for (; filter->slots[at] != VDB_NO_ID; at = (at + 1) & mask)
        if (filter->slots[at] == id)
            return 0;
    filter->slots[at] = id;
    return 1;
}

int vdb_filter_new_list(vdb_filter **out, const uint64_t *ids, uint64_t n)
{
    vdb_filter *filter = new_filter();
    uint64_t slot_count = 64;
    while (slot_count < 2 * n)
        slot_count *= 2;
    if (filter) {
        filter->slot_count = slot_count;
        filter->slots = malloc(sizeof *filter->slots * slot_count);
        filter->list = malloc(sizeof *filter->list * (n ? n : 1));
    }
    if (!filter || !filter->slots || !filter->list) {
        vdb_filter_free(filter);
        return vdb_fail(VDB_ENOMEM, "out of memory making a filter of %llu ids", (unsigned long long)n);
    }
    for (uint64_t i = 0; i < slot_count; i++)
        filter->slots[i] = VDB_NO_ID;
    for (uint64_t i = 0; i < n; i++)
        if (ids[i] != VDB_NO_ID && set_add(filter, ids[i]))
            filter->list[filter->list_count++] = ids[i];
    *out = filter;
    return VDB_OK;
}

int vdb_filter_new_predicate(vdb_filter **out, int (*allow)(uint64_t id, void *ctx), void *ctx)
{
    vdb_filter *filter = new_filter();
    if (!filter)
        return vdb_fail(VDB_ENOMEM, "out of memory making a filter");
    filter->allow = allow;
    filter->ctx = ctx;
    *out = filter;
    return VDB_OK;
}

void vdb_filter_free(vdb_filter *filter)
{
    if (!filter)
        return;
    free(filter->list);
    free(filter->slots);
    pthread_mutex_destroy(&filter->lock);
    free(filter);
}

int vdb_filter_allows(const vdb_filter *filter, uint64_t id)
{
    if (filter->allow)
        return filter->allow(id, filter->ctx) != 0;
    uint64_t mask = filter->slot_count - 1;
    for (uint64_t at = hash_id(id) & mask; filter->slots[at] != VDB_NO_ID; at = (at + 1) & mask)
        if (filter->slots[at] == id)
            return 1;
    return 0;
}
