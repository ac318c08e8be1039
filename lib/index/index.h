/*
 * The insides of the opaque vdb_index handle. An index is one of three
 * kinds, which fixes where its vectors and ids live and which calls can
 * change it (the table in vdb.h); the index layer's functions below do the
 * work of the API's calls once their arguments are checked.
 */
#ifndef VDB_INDEX_H
#define VDB_INDEX_H

#include "partitioned/partition.h"
#include "codes/codes.h"
#include "disk/disk_index.h"
#include "file/journal.h"
#include "graph/graph.h"
#include "graph/insert.h"
#include "graph/search.h"
#include "index/ids.h"
#include "util/mapping.h"
#include "vdb.h"
#include "vectors/store.h"
#include "vectors/vectors_file.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

typedef enum {
    VDB_INDEX_OWNED,     /* vdb_create: vectors copied in by vdb_add */
    VDB_INDEX_OVER_FILE, /* vdb_map_vectors: rows of the user's file, linked by vdb_build */
    VDB_INDEX_OPENED     /* vdb_open: a mapped index file; read-only unless `writable` */
} vdb_index_kind;

struct vdb_index {
    vdb_config config;
    vdb_index_kind kind;
    int writable;         /* VDB_INDEX_OPENED with VDB_OPEN_WRITABLE */
    vdb_mapping file;     /* the user's vector file or the index file */
    vdb_vector_view view; /* VDB_INDEX_OVER_FILE: the file's rows */
    vdb_store store;      /* where each node's vector is; the graph reads it */
    vdb_code_store codes; /* the vectors' codes, if config.codes asks for them; the graph reads them */
    vdb_ids ids;          /* node <-> id */
    vdb_hnsw graph;
    vdb_progress progress; /* vdb_set_progress's callback for vdb_build and vdb_add, or none */
    uint64_t build_memory; /* vdb_set_build_memory's bound on vdb_build, in bytes; 0: none */
    vdb_disk *disk;        /* VDB_OPEN_DISK: searches read node blocks from the file (disk/disk_index.h); else NULL */

    /*
     * VDB_INDEX_OPENED writable: the journal it holds, and the file at its
     * path that the journal extends (the one opened, or the last checkpoint's).
     * Checkpoints, which are readers, take turns under save_lock.
     */
    vdb_journal *journal;
    char *path;
    dev_t file_device;
    ino_t file_inode;
    pthread_mutex_t save_lock;

    /* An index opened read-only maps ids to nodes on first need, which a reader may be: once, under this lock. */
    pthread_mutex_t ids_lock;
    atomic_int ids_ready;
};

/* The id -> node map, built now if it is not yet (thread-safe). VDB_OK or VDB_ENOMEM. */
int vdb_index_map_ids(const vdb_index *index);

/* Set up a new index of `kind`; the caller fills the rest. VDB_OK or VDB_ENOMEM (index is then freed). */
vdb_index *vdb_index_new(const vdb_config *config, vdb_index_kind kind);

/* An index without codes in a file starts its codes as config.codes says, untrained, and lets searches use them. */
void vdb_index_use_codes(vdb_index *index);

/*
 * The k nearest accepted nodes by the graph (see vdb_hnsw_search): read
 * from the disk for an index opened with VDB_OPEN_DISK whose codes are
 * trained, else from memory and mappings. VDB_OK, VDB_ENOMEM, VDB_EIO.
 */
int vdb_index_search(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, const vdb_accept *accept,
                     vdb_candidate *results, uint32_t *found);

/* Whether unfiltered batches go to vdb_index_search_many: an index read from the disk. */
static inline int vdb_index_on_disk(const vdb_index *index) { return index->disk && vdb_hnsw_coded(&index->graph); }

/*
 * vdb_index_search of `count` queries with no filter on the calling thread,
 * several walks at once (disk/disk_search.h): query q's results at
 * results[q * k ...], found[q] of them. Only for vdb_index_on_disk.
 */
int vdb_index_search_many(const vdb_index *index, const float *queries, uint64_t count, uint32_t k, uint32_t ef,
                          vdb_candidate *results, uint32_t *found);

/* Open a saved index (see vdb_open); on success *out is the new index. */
int vdb_index_open(vdb_index **out, const char *path, uint32_t flags);

/*
 * Reserve everything linking n more nodes needs: heap rows (if `vectors`),
 * ids and graph storage. The last step that can fail before the index changes.
 */
int vdb_index_reserve(vdb_index *index, uint64_t n, int vectors);

/*
 * Append n nodes with the given rows (NULL when a vector file's rows were
 * linked already) and ids (NULL: first_id, first_id + 1, ...), and link them
 * into the graph. After vdb_index_reserve. With `progress` (NULL: none), a
 * cancel returns VDB_ECANCELED with the n nodes deleted again.
 */
int vdb_index_insert(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids, uint64_t first_id,
                     const vdb_progress *progress);

/*
 * Append rows [first, first + n) of the vector file as the index's first
 * nodes and link them by partitions (partitioned/partitioned_build.h), after
 * vdb_index_reserve and vdb_hnsw_reserve_dead. On a failure or a cancel
 * the nodes are deleted again.
 */
int vdb_index_build_partitioned(vdb_index *index, uint64_t first, uint64_t n, const vdb_partition_plan *plan);

/* Delete live nodes (after vdb_hnsw_reserve_dead): searches stop returning them and their ids are free. */
void vdb_index_delete_nodes(vdb_index *index, const uint32_t *nodes, uint64_t n);

/* Write the index's live nodes to path (see vdb_save); hooks NULL, or a checkpoint's (file/format.h). */
struct vdb_save_hooks;
int vdb_index_save(const vdb_index *index, const char *path, const struct vdb_save_hooks *hooks);

void vdb_index_free(vdb_index *index);

#endif
