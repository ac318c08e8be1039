/*
 * The owned block grows by half again each time, so a long series of small
 * vdb_add calls costs amortised O(1) copies per row. It starts on a cache
 * line, as a mapped file's rows do: malloc's 16-byte alignment would make
 * every 64-byte load of a 384-d row straddle two lines, which cost a third
 * of the build time.
 */
#include "vectors/store.h"

#include "vdb.h"

#include <stdlib.h>
#include <string.h>

enum { OWNED_ALIGNMENT = 64 };

void vdb_store_init_owned(vdb_store *rows, uint32_t dim) { *rows = (vdb_store){.dim = dim}; }

void vdb_store_init_mapped(vdb_store *rows, uint32_t dim, const float *first, uint64_t stride, uint32_t count)
{
    *rows = (vdb_store){.dim = dim, .mapped = first, .mapped_stride = stride, .mapped_count = count};
}

/* Whether rows [first, ...) continue the run of rows linked so far. */
static int continues_run(const vdb_store *rows, const float *file_rows, uint64_t stride, uint64_t first)
{
    if (rows->row_of)
        return 0;
    if (rows->mapped_count == 0)
        return 1;
    return rows->mapped + (uint64_t)rows->mapped_count * stride == file_rows + first * stride;
}

int vdb_store_reserve_file_rows(vdb_store *rows, const float *file_rows, uint64_t stride, uint64_t first,
                                uint32_t count)
{
    uint64_t needed = (uint64_t)rows->mapped_count + count;
    if (continues_run(rows, file_rows, stride, first) || needed <= rows->row_numbers_capacity)
        return VDB_OK;
    uint64_t capacity = rows->row_numbers_capacity + rows->row_numbers_capacity / 2;
    if (capacity < needed)
        capacity = needed;
    uint32_t *grown = realloc(rows->row_numbers, sizeof *grown * capacity);
    if (!grown)
        return VDB_ENOMEM;
    if (rows->row_of)
        rows->row_of = grown;
    rows->row_numbers = grown;
    rows->row_numbers_capacity = capacity;
    return VDB_OK;
}

void vdb_store_link_file_rows(vdb_store *rows, const float *file_rows, uint64_t stride, uint64_t first, uint32_t count)
{
    uint32_t linked = rows->mapped_count;
    if (linked == 0 && !rows->row_of) {
        rows->mapped = file_rows + first * stride;
        rows->mapped_stride = stride;
    } else if (!continues_run(rows, file_rows, stride, first)) {
        if (!rows->row_of) { /* leave the run: number the nodes linked so far */
            uint64_t run_start = (uint64_t)(rows->mapped - file_rows) / stride;
            for (uint32_t node = 0; node < linked; node++)
                rows->row_numbers[node] = (uint32_t)(run_start + node);
            rows->row_of = rows->row_numbers;
            rows->mapped = file_rows;
        }
        for (uint32_t i = 0; i < count; i++)
            rows->row_numbers[linked + i] = (uint32_t)(first + i);
    }
    rows->mapped_count = linked + count;
}

int vdb_store_reserve(vdb_store *rows, uint64_t more)
{
    uint64_t needed = rows->owned_count + more;
    if (needed <= rows->owned_capacity)
        return VDB_OK;
    uint64_t capacity = rows->owned_capacity + rows->owned_capacity / 2;
    if (capacity < needed)
        capacity = needed;
    if (capacity > SIZE_MAX / sizeof(float) / rows->dim)
        return VDB_ENOMEM;
    void *block = NULL;
    if (posix_memalign(&block, OWNED_ALIGNMENT, sizeof(float) * rows->dim * capacity) != 0)
        return VDB_ENOMEM;
    if (rows->owned_count > 0)
        memcpy(block, rows->owned, sizeof(float) * rows->dim * rows->owned_count);
    free(rows->owned);
    rows->owned = block;
    rows->owned_capacity = capacity;
    return VDB_OK;
}

void vdb_store_append(vdb_store *rows, const float *vectors, uint64_t n)
{
    memcpy(rows->owned + rows->owned_count * rows->dim, vectors, sizeof(float) * rows->dim * n);
    rows->owned_count += n;
}

void vdb_store_destroy(vdb_store *rows)
{
    free(rows->row_numbers);
    free(rows->owned);
    *rows = (vdb_store){0};
}
