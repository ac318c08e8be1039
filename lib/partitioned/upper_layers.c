#include "partitioned/upper_layers.h"

#include "graph/insert.h"
#include "graph/walk_codes.h"
#include "vdb.h"

#include <stdlib.h>
#include <string.h>

uint64_t vdb_upper_layers_bytes(uint64_t nodes, uint32_t dim, uint32_t m)
{
    /* a row and its int8 code row (graph/walk_codes.h), a level-0 block, about one block above that, small arrays */
    return nodes * ((uint64_t)dim * sizeof(float) + vdb_walk_code_row_bytes(dim) + 2 * (m + 1) * sizeof(uint32_t) + 32);
}

/* Copy the sub-graph's links of node s, level by level, into node `node`'s blocks one level up. */
static void copy_links(vdb_hnsw *graph, uint32_t node, const vdb_hnsw *upper, uint32_t s, const uint32_t *global)
{
    for (uint32_t level = 0; level <= vdb_hnsw_level(upper, s); level++) {
        const uint32_t *from = level == 0 ? vdb_hnsw_links0(upper, s) : vdb_hnsw_upper_links(upper, s, level);
        uint32_t *to = vdb_hnsw_upper_links(graph, node, level + 1);
        to[0] = from[0];
        for (uint32_t i = 1; i <= from[0]; i++)
            to[i] = global[from[i]];
    }
}

int vdb_build_upper_layers(vdb_hnsw *graph, const vdb_build_rows *rows, uint64_t seed, uint32_t threads)
{
    uint32_t count = 0;
    for (uint32_t node = 0; node < graph->allocated; node++)
        count += vdb_hnsw_level(graph, node) > 0;
    graph->entry = graph->allocated > 0 ? 0 : VDB_NO_NODE;
    graph->max_level = 0;
    if (count == 0)
        return VDB_OK;

    uint32_t *global = malloc(sizeof *global * count);
    uint8_t *levels = malloc(count);
    vdb_store store;
    vdb_store_init_owned(&store, rows->dim);
    vdb_hnsw upper;
    int code = global && levels && vdb_store_reserve(&store, count) == VDB_OK ? VDB_OK : VDB_ENOMEM;
    if (code == VDB_OK) {
        uint32_t s = 0;
        for (uint32_t node = 0; node < graph->allocated; node++)
            if (vdb_hnsw_level(graph, node) > 0) {
                global[s] = node;
                levels[s++] = (uint8_t)(vdb_hnsw_level(graph, node) - 1);
                vdb_store_append(&store, vdb_build_row(rows, node), 1);
            }
        code = vdb_hnsw_init_m0(&upper, &store, graph->metric, graph->m, graph->m, graph->ef_construction, seed);
    }
    if (code == VDB_OK) {
        if ((code = vdb_hnsw_reserve_levels(&upper, count, threads, levels)) == VDB_OK)
            code = vdb_hnsw_insert(&upper, count, threads, NULL);
        if (code == VDB_OK) {
            for (uint32_t s = 0; s < count; s++)
                copy_links(graph, global[s], &upper, s, global);
            graph->entry = global[upper.entry];
            graph->max_level = upper.max_level + 1;
        }
        vdb_hnsw_destroy(&upper);
    }
    vdb_store_destroy(&store);
    free(global);
    free(levels);
    return code;
}
