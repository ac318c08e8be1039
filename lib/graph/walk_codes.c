/*
 * When an insertion codes the rows: coding reads every row of the graph
 * once, so a batch of nodes must be a fair part of the graph for the
 * cheaper walks to repay it.
 */
#include "graph/walk_codes.h"

#include "vdb.h"

/* Code every row when the batch is at least 1/BATCH_SHARE of the graph: at most ~16 rows coded a node linked. */
enum { BATCH_SHARE = 16 };

void vdb_walk_codes_init(vdb_code_store *codes, uint32_t dim)
{
    vdb_codes_init(codes, VDB_CODES_INT8, dim, vdb_codes_bytes(VDB_CODES_INT8, dim, 0));
}

int vdb_walk_codes_begin(vdb_hnsw *graph, uint32_t more, uint32_t threads, vdb_code_store *codes)
{
    uint64_t rows = vdb_store_count(graph->store);
    if (graph->walk_codes || graph->exact_walks || rows < VDB_INT8_TRAIN_MIN || rows < graph->allocated ||
        (uint64_t)more * BATCH_SHARE < rows)
        return 0;
    vdb_walk_codes_init(codes, graph->dim);
    if (vdb_codes_reserve(codes, rows) == VDB_OK)
        vdb_codes_update(codes, graph->store, 0, threads);
    if (!codes->trained) { /* no memory for them */
        vdb_codes_destroy(codes);
        return 0;
    }
    graph->walk_codes = codes;
    return 1;
}

void vdb_walk_codes_end(vdb_hnsw *graph, vdb_code_store *codes)
{
    graph->walk_codes = NULL;
    vdb_codes_destroy(codes);
}
