/*
 * Search of a disk-resident index: HNSW's own walk by codes, with each
 * expanded node's links read from its block on the disk. The upper levels
 * are walked by codes in memory, as in a mapped search. On level 0 the walk
 * expands the same nodes in the same order as vdb_hnsw_beam by codes, so it
 * finds the same results; it only has to wait for each node's block, and
 * keeps the blocks of the next nearest candidates (those it will most
 * likely expand next) being read meanwhile, several at once (DiskANN's
 * beam width). A block holds the node's vector too, so every expanded node
 * gets its exact distance with no further read, and the rerank of the
 * results, every one of which the walk expanded, reads nothing.
 */
#ifndef VDB_DISK_SEARCH_H
#define VDB_DISK_SEARCH_H

#include "disk/disk_index.h"
#include "graph/search.h"

/*
 * Block reads a search keeps going: enough to keep the disk busy, few enough
 * that most are of nodes it expands (1.3M x 384, PQ192, ef 128, one thread:
 * 4 gave 179 QPS and 153 reads a query, 8 gave 202 and 167, 12 gave 218 and
 * 180, 16 no more QPS for more reads; bench/out_of_core.py).
 */
enum { VDB_DISK_BEAM_WIDTH = 12 };

/*
 * As vdb_hnsw_search with trained codes (vdb_hnsw_coded), from the disk:
 * the k nearest accepted nodes, nearest first, into results[0 .. *found),
 * with beam ef and the `rerank` nearest by code (0: ef; at least k)
 * measured exactly. VDB_OK, VDB_ENOMEM, or VDB_EIO when a read failed
 * (message set). Any number may run at once.
 */
int vdb_disk_search(vdb_disk *disk, const vdb_hnsw *graph, const float *query, uint32_t k, uint32_t ef, uint32_t rerank,
                    const vdb_accept *accept, vdb_candidate *results, uint32_t *found);

/*
 * Searches a batch walks at once on one thread, so that while some wait on
 * the disk the others go on, and the blocks each reads ahead. With many
 * walks keeping the disk busy, each needs to read few ahead, and fewer are
 * wasted on candidates the walk never comes to. 1.3M x 384, PQ192, M 32,
 * ef 64, two threads, 512 MB cgroup: 8 walks reading 12 ahead read 98
 * blocks a query, 31 of them for nodes never expanded; 32 reading 4 ahead
 * read 78 (69 keeping unused blocks, disk/kept_blocks.h), at 1,480-1,780
 * queries a second where 8 x 12 gave 1,050-1,260. A walk's memory does not
 * grow with the graph (disk/visited_set.h), so 32 cost little.
 */
enum { VDB_DISK_BATCH_WALKS = 32, VDB_DISK_BATCH_WIDTH = 4 };

/*
 * As vdb_disk_search for each of `count` queries (rows of graph->dim
 * floats), with no filter, VDB_DISK_BATCH_WALKS at a time on the calling
 * thread: query q's results go to results[q * k ...], found[q] of them.
 * Each query's results are those vdb_disk_search gives. VDB_OK, VDB_ENOMEM
 * or VDB_EIO (then the results are incomplete).
 */
int vdb_disk_search_batch(vdb_disk *disk, const vdb_hnsw *graph, const float *queries, uint64_t count, uint32_t k,
                          uint32_t ef, uint32_t rerank, vdb_candidate *results, uint32_t *found);

#endif
