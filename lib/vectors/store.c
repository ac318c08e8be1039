/*
 * The owning store grows by half again each time, so a long series of small
 * vdb_add calls costs amortised O(1) copies per row. Its block starts on a
 * cache line, as a mapped file's rows do: malloc's 16-byte alignment would
 * make every 64-byte load of a 384-d row straddle two lines, which cost a
 * third of the build time.
 */
#include "vectors/store.h"

#include <stdlib.h>
#include <string.h>

enum { STORE_ALIGNMENT = 64 };

void vdb_store_view(vdb_store *store, const float *rows, uint64_t count, uint32_t dim, uint64_t stride)
{
    *store = (vdb_store){.dim = dim, .stride = stride, .rows = rows, .count = count};
}

void vdb_store_init_owned(vdb_store *store, uint32_t dim) { *store = (vdb_store){.dim = dim, .stride = dim}; }

int vdb_store_reserve(vdb_store *store, uint64_t more)
{
    uint64_t needed = store->count + more;
    if (needed <= store->capacity)
        return 1;
    uint64_t capacity = store->capacity + store->capacity / 2;
    if (capacity < needed)
        capacity = needed;
    if (capacity > SIZE_MAX / sizeof(float) / store->dim)
        return 0;
    void *block = NULL;
    if (posix_memalign(&block, STORE_ALIGNMENT, sizeof(float) * store->dim * capacity) != 0)
        return 0;
    float *rows = block;
    if (store->count > 0)
        memcpy(rows, store->owned, sizeof(float) * store->dim * store->count);
    free(store->owned);
    store->owned = rows;
    store->rows = rows;
    store->capacity = capacity;
    return 1;
}

void vdb_store_append(vdb_store *store, const float *rows, uint64_t n)
{
    memcpy(store->owned + store->count * store->dim, rows, sizeof(float) * store->dim * n);
    store->count += n;
}

void vdb_store_destroy(vdb_store *store)
{
    free(store->owned);
    *store = (vdb_store){0};
}
