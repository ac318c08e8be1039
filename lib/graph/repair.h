/*
 * Taking deleted nodes out of a graph's links, for a saved file that holds
 * no dead weight. Each live node that links to a deleted one re-chooses its
 * links on that level from its live neighbours and the live nodes the
 * deleted ones linked to (two deleted hops deep), with the same heuristic
 * insertion uses: FreshDiskANN's delete consolidation. What went through a
 * deleted node now goes around it, so nodes reached only through deleted
 * ones stay reachable.
 */
#ifndef VDB_GRAPH_REPAIR_H
#define VDB_GRAPH_REPAIR_H

#include "graph/graph.h"

/* The repaired links, in the graph's own numbering and layout; blocks of deleted nodes are left empty. */
typedef struct vdb_hnsw_repaired {
    uint32_t *links0;      /* allocated * (m0 + 1) words */
    uint32_t *upper_links; /* upper_blocks * (m + 1) words; graph->upper_start still says whose block is whose */
    uint32_t entry;        /* a live node on the highest level any live node reaches; VDB_NO_NODE if none */
    uint32_t max_level;
} vdb_hnsw_repaired;

/* Repair on `threads` workers, reading the graph only. VDB_OK or VDB_ENOMEM. */
int vdb_hnsw_repair(const vdb_hnsw *graph, uint32_t threads, vdb_hnsw_repaired *out);

void vdb_hnsw_repaired_free(vdb_hnsw_repaired *repaired);

/*
 * Repair an owned graph's own links, so that searches no longer walk
 * through its deleted nodes: a graph with many deleted nodes searches as
 * fast as one built without them. The deleted nodes keep their numbers and
 * rows until the graph is saved. VDB_OK, or VDB_ENOMEM and nothing changed.
 */
int vdb_hnsw_repair_in_place(vdb_hnsw *graph, uint32_t threads);

#endif
