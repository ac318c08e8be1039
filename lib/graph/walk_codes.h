/*
 * int8 codes of every node for an insertion's beams to walk with. A beam of
 * ef_construction measures thousands of rows, each a random place in
 * memory: at 384 dimensions 24 cache lines of floats, 7 of int8 codes. So a
 * large insertion codes every row first (one pass, the cost of a few
 * distances per node), walks its beams over the codes, and measures only
 * each beam's results with the float rows, which give the distances links
 * are chosen by. The codes are freed when the insertion ends.
 */
#ifndef VDB_WALK_CODES_H
#define VDB_WALK_CODES_H

#include "graph/graph.h"
#include "vdb.h"

/* Empty int8 codes for rows of `dim` floats, as insertions walk them. */
void vdb_walk_codes_init(vdb_code_store *codes, uint32_t dim);

/* Bytes of one row's walk codes: what a build's memory plan counts for them. */
static inline uint64_t vdb_walk_code_row_bytes(uint32_t dim)
{
    return vdb_codes_stride(vdb_codes_bytes(VDB_CODES_INT8, dim, 0));
}

/*
 * Code the graph's rows into `codes` and set graph->walk_codes to them when
 * an insertion of `more` nodes is worth it, and returns 1; else 0. Without
 * memory for them the insertion walks the float rows, as a small one does.
 * Codes the caller keeps up to date in graph->walk_codes (a partitioned
 * build's, batch after batch) are left as they are.
 */
int vdb_walk_codes_begin(vdb_hnsw *graph, uint32_t more, uint32_t threads, vdb_code_store *codes);

/* Free what vdb_walk_codes_begin made and unset graph->walk_codes. */
void vdb_walk_codes_end(vdb_hnsw *graph, vdb_code_store *codes);

#endif
