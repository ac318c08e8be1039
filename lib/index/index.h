/*
 * The insides of the opaque vdb_index handle, shared by the API layer and the
 * file format. An index is one of three kinds, which fixes where its vectors
 * and ids live and whether it can change.
 */
#ifndef VDB_INDEX_H
#define VDB_INDEX_H

#include "graph/graph.h"
#include "index/labels.h"
#include "util/mapping.h"
#include "vdb.h"
#include "vectors/store.h"
#include "vectors/vectors_file.h"

typedef enum {
    VDB_INDEX_OWNED,     /* vdb_create: vectors copied in by vdb_add */
    VDB_INDEX_OVER_FILE, /* vdb_map_vectors: rows of the user's file, linked by vdb_build */
    VDB_INDEX_OPENED     /* vdb_open: everything in place in a mapped index file; read-only */
} vdb_index_kind;

struct vdb_index {
    vdb_config config;
    vdb_index_kind kind;
    vdb_mapping file;     /* the user's vector file or the index file */
    vdb_vector_view view; /* VDB_INDEX_OVER_FILE: the file's rows */
    vdb_store store;      /* where each node's vector is; the graph reads it */
    vdb_labels labels;    /* not used by VDB_INDEX_OPENED */
    const uint64_t *ids;  /* ids[node]: labels.ids, or the index file's ids section */
    vdb_hnsw graph;
};

#endif
