/*
 * The index file, format versions 1 and 2 (docs/format.md describes them
 * byte by byte): a 4 KiB header with a checksummed table of sections, then
 * the vectors and level-0 links (format 2: together, a block per node),
 * upper-level links and ids, and in format 2 the quantizer and codes, each
 * 4 KiB-aligned so that a mapping of the file is used in place. This layer writes, maps and
 * checks files; it hands decoded parts to the index layer and takes parts
 * from it, and never calls up into it.
 */
#ifndef VDB_FORMAT_H
#define VDB_FORMAT_H

#include "codes/codes.h"
#include "file/format_header.h"
#include "file/journal.h"
#include "file/save_order.h"
#include "graph/graph.h"
#include "util/mapping.h"

/* A mapped index file, checked and decoded; everything points into `mapping`. */
typedef struct vdb_index_file {
    vdb_mapping mapping;
    vdb_header header;
    const float *vectors;   /* header.count rows of header.dim floats */
    uint32_t vector_stride; /* floats from one row to the next: dim, or a node block in format 2 */
    const uint64_t *ids;    /* header.count ids */
    vdb_hnsw_sections links;
    const float *quantizer; /* header.codes_trained: 2 * dim floats, else NULL */
    const uint8_t *codes;   /* header.codes_trained: header.count code rows, else NULL */
} vdb_index_file;

/*
 * Map path and check its header, plus the whole file with VDB_OPEN_VERIFY,
 * or every link with VDB_OPEN_WRITABLE; O(1) otherwise. VDB_OPEN_POPULATE asks the OS to read it all now. The
 * caller owns out->mapping (vdb_mapping_close) on success.
 */
int vdb_format_open(vdb_index_file *out, const char *path, uint32_t flags);

/* Check every byte of the file at path: header, section checksums, link ranges. */
int vdb_format_verify(const char *path);

/*
 * A checkpoint's steps around the rename of a save: before_replace gets the
 * new file's identity once it is on the disk and may cancel the save with
 * its code; after_replace runs once the file has replaced the old one, and
 * its code is the save's.
 */
typedef struct vdb_save_hooks {
    int (*before_replace)(void *context, vdb_journal_base written);
    int (*after_replace)(void *context, vdb_journal_base written);
    void *context;
} vdb_save_hooks;

/*
 * What to write: nodes of a graph, in an order, with their links, ids and the
 * settings a file records. No written link may point at a node not written.
 */
typedef struct vdb_file_contents {
    const vdb_hnsw *graph;       /* levels and rows of the nodes */
    const uint32_t *links0;      /* level-0 blocks: the graph's own, or repaired ones */
    uint32_t links0_stride;      /* words from one node's block to the next */
    const uint32_t *upper_links; /* upper blocks laid out as graph->upper_links */
    const uint64_t *ids;         /* ids[node] */
    const vdb_save_order *order; /* the nodes to write, in file order (count of them) */
    uint32_t count;
    uint32_t entry; /* a node of the graph on level max_level; ignored when count is 0 */
    uint32_t max_level;
    int32_t metric;
    uint32_t ef_construction;
    uint32_t ef_search;
    uint64_t seed;
    const vdb_code_store *codes; /* the nodes' codes, of kind VDB_CODES_NONE when there are none */
    uint32_t rerank;
    const vdb_save_hooks *hooks; /* NULL for a plain save */
} vdb_file_contents;

/* Write contents to path atomically (temporary file, fsync, rename). */
int vdb_format_save(const vdb_file_contents *contents, const char *path);

#endif
