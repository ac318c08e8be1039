/*
 * libvdb: an embeddable, out-of-core approximate-nearest-neighbour index.
 *
 * This is the one public header. What is not declared here is private and
 * may change in any release. Every declaration is plain C that cffi, LuaJIT's
 * ffi.cdef and koffi read without a preprocessor once VDB_API is removed.
 *
 * Conventions (the same for every call):
 *  - A call that can fail returns int: VDB_OK (0) or a negative VDB_E* code.
 *    vdb_last_error() then describes this thread's failure in words.
 *  - A constructor returns its handle through its first parameter (**out),
 *    which is written only on success. The handle belongs to the caller and
 *    is released with vdb_close() / vdb_vectors_close(), which accept NULL.
 *  - Results go into buffers the caller owns; nothing is allocated for the
 *    caller to free.
 *  - Thread-safety is stated per function. "Reader" calls may run on one
 *    handle from any number of threads at once; "writer" calls need the
 *    handle to themselves (no other call on it until they return).
 */
#ifndef VDB_H
#define VDB_H

#include <stddef.h>
#include <stdint.h>

#define VDB_VERSION_MAJOR 0
#define VDB_VERSION_MINOR 2
#define VDB_VERSION_PATCH 0
#define VDB_VERSION_NUMBER (VDB_VERSION_MAJOR * 10000 + VDB_VERSION_MINOR * 100 + VDB_VERSION_PATCH)

#ifndef VDB_API
#if defined(__GNUC__) && defined(VDB_BUILDING_LIBRARY)
#define VDB_API __attribute__((visibility("default")))
#else
#define VDB_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** An index: an HNSW graph over vectors that live in memory or in a mapped file. Opaque. */
typedef struct vdb_index vdb_index;

/** A read-only vector file (raw float32, .fvecs or .npy) mapped into memory. Opaque. */
typedef struct vdb_vectors vdb_vectors;

/**
 * Which ids a search may return: an allow-list or a predicate. Opaque. Made
 * by vdb_filter_create or vdb_filter_from_fn, released with vdb_filter_close;
 * one filter may serve any number of searches, on any indexes and threads,
 * at once.
 */
typedef struct vdb_filter vdb_filter;

/** Return codes. Callers test these, never the text of a message. */
enum vdb_status {
    VDB_OK = 0,
    VDB_EINVAL = -1,     /**< bad argument: NULL, k = 0, NaN/Inf in a vector, bad config or flags */
    VDB_EDIM = -2,       /**< a vector's dimension differs from the index's */
    VDB_ENOMEM = -3,     /**< an allocation or mapping failed */
    VDB_EIO = -4,        /**< the OS refused a file operation; the message names the path and errno text */
    VDB_EFORMAT = -5,    /**< not a libvdb / vector file, or truncated, or corrupt */
    VDB_EVERSION = -6,   /**< the file's format version is newer than this library reads */
    VDB_EREADONLY = -7,  /**< a change was asked of a read-only index */
    VDB_EEXIST = -8,     /**< an id that is already in the index */
    VDB_ERANGE = -9,     /**< a row range outside the vector file, or a count past the index's limits */
    VDB_ENOTFOUND = -10, /**< an id that is not in the index */
    VDB_EBUSY = -11,     /**< the index file is open for writing in another process (the message names it) */
    VDB_ENOSPC = -12,    /**< the disk or a quota is full, or the file is over the size limit (ENOSPC, EDQUOT, EFBIG) */
    VDB_ECANCELED = -13  /**< the progress callback asked to stop (vdb_set_progress); the call added nothing */
};

/** Distance functions. Smaller is nearer for all three. */
enum vdb_metric {
    VDB_METRIC_L2 = 0,    /**< squared Euclidean distance */
    VDB_METRIC_IP = 1,    /**< 1 - dot(a, b) */
    VDB_METRIC_COSINE = 2 /**< 1 - cos(a, b); a zero vector is at distance 1 from everything */
};

/** Flags for vdb_open(). */
enum vdb_open_flags {
    VDB_OPEN_DEFAULT = 0,  /**< map and check the header only: O(1) */
    VDB_OPEN_VERIFY = 1,   /**< also run the full vdb_verify() check first (reads the whole file) */
    VDB_OPEN_POPULATE = 2, /**< ask the OS to read the whole file into the page cache now */
    VDB_OPEN_WRITABLE = 4, /**< the opened index accepts vdb_add, vdb_upsert and vdb_delete, kept by vdb_commit */
    VDB_OPEN_RECOVER = 8,  /**< a damaged journal: apply its intact commits, drop the rest (docs/format.md) */
    VDB_OPEN_DISK = 16     /**< disk-resident search of an index with codes: vectors and links are read from the disk, not cached (vdb_open) */
};

/**
 * Compressed copies of the vectors (vdb_config.codes). A search walks the
 * graph measuring distances to codes, which are smaller and faster to read
 * than float32 rows, then measures its best candidates again with the
 * float32 vectors (vdb_config.rerank), so the distances it returns are exact.
 */
enum vdb_codes {
    VDB_CODES_NONE = 0, /**< searches read the float32 vectors only */
    VDB_CODES_INT8 = 1, /**< a byte per dimension, from each dimension's range: rows 4x smaller */
    VDB_CODES_PQ = 2    /**< product quantization: code_bytes bytes a vector, each naming one of 256 centroids */
};

/** The version of vdb_config this header describes. */
enum vdb_config_version { VDB_CONFIG_VERSION = 2 };

/**
 * How to build an index. Always start from
 * vdb_config_init(&cfg, VDB_CONFIG_VERSION), then change fields: the struct
 * only ever grows at its end, and `version` tells the library which fields
 * the caller knows.
 */
typedef struct vdb_config {
    uint32_t version;         /**< the version of this struct the caller knows; set by vdb_config_init */
    uint32_t dim;             /**< vector dimension, 1..65536 (0 = read it from the vector file) */
    int32_t metric;           /**< an enum vdb_metric value (default VDB_METRIC_L2) */
    uint32_t m;               /**< links per node on upper layers, 2..256 (default 16); layer 0 has 2*m */
    uint32_t ef_construction; /**< beam width while building, 1..65536 (default 200) */
    uint32_t ef_search;       /**< beam width when a search passes ef = 0, 1..65536 (default 64) */
    uint32_t threads;         /**< worker threads for build, add and batch search; 0 = all online cores */
    uint32_t reserved;        /**< must be 0 */
    uint64_t seed;            /**< level generator seed; same data + seed + threads = 1 gives the same graph */
    /* version 2 */
    int32_t codes;       /**< an enum vdb_codes value (default VDB_CODES_NONE); see "Codes" below */
    uint32_t code_bytes; /**< VDB_CODES_PQ: bytes a vector, 1..dim (0 = dim / 8, at least 1); else must be 0 */
    uint32_t rerank;     /**< with codes: a search's best candidates by code that get their exact distance,
                              raised to k if smaller; 0 = all ef of them (default) */
} vdb_config;

/**
 * Fill the fields of *cfg that config version `version` has with the
 * defaults: dim 0, L2, m 16, ef_construction 200, ef_search 64, threads 0,
 * seed 42, no codes, rerank 0; cfg->version = version. Pass VDB_CONFIG_VERSION, the version of
 * the header you compile against: a newer library then reads and writes
 * only the fields your struct has, so the struct can grow without breaking
 * you. A version this library does not know (0, or newer than it) only sets
 * cfg->version, and every call given that config refuses it with VDB_EINVAL.
 * @param[out] cfg      the struct to fill; NULL is ignored.
 * @param[in]  version  VDB_CONFIG_VERSION.
 * Thread-safe.
 */
VDB_API void vdb_config_init(vdb_config *cfg, uint32_t version);

/*
 * Kinds of index, and the calls that change them. Every kind searches
 * (vdb_search*, vdb_get) and saves; a call a kind refuses returns
 * VDB_EREADONLY (or VDB_EINVAL for vdb_build on an index that takes vdb_add)
 * with a message saying what to do instead.
 *
 *   made by                           add  upsert  delete  build
 *   vdb_create                        yes  yes     yes     -
 *   vdb_map_vectors (a vector file)   -    -       yes     yes
 *   vdb_open                          -    -       -       -
 *   vdb_open with VDB_OPEN_WRITABLE   yes  yes     yes     -
 *
 * A deleted vector is never returned by a search, vdb_get or a filter, and
 * its id may be used again. Searches still walk through deleted nodes, so
 * their recall holds up; vdb_save leaves them out of the file and repairs
 * the links around them, so a saved file carries no dead weight.
 */

/*
 * Codes. An index made with cfg.codes set keeps a code of each vector beside
 * its float32 row:
 *  - VDB_CODES_INT8: a byte per dimension, the value's place, in 255 steps,
 *    between that dimension's smallest and largest value among the vectors
 *    the codes were trained on (a value outside takes the nearest end).
 *    Trained when the index first holds 1024 vectors, from up to 65536.
 *  - VDB_CODES_PQ: the dimensions cut into code_bytes groups of nearly equal
 *    width, each with 256 centroids found by k-means (seeded by cfg.seed, so
 *    the same data and seed give the same codes); a vector's code names its
 *    nearest centroid in each group. A 384-d vector's 48 bytes (and a
 *    4-byte norm every code row keeps) are 30x smaller than its floats.
 *    Trained when the index first holds 4096 vectors, from up to 16384
 *    (seconds, on the index's threads).
 * The codes are trained once, at the end of the first call (vdb_build,
 * vdb_add, vdb_upsert) that leaves the index with enough vectors, from rows
 * spread evenly over it; later vectors are coded with what was trained.
 * Until then searches use the float32 rows only, and vdb_coded() is 0.
 * Codes are saved with the index (file format 2; an index without codes is
 * still written as format 1).
 *
 * A search with codes walks the graph by code distances, keeps its ef best
 * candidates, measures the `rerank` best of them (all ef by default) with
 * the float32 rows, and returns the k nearest of those by exact distance.
 * Its results can differ from a search without codes at the same ef (better
 * or worse recall): compare at equal recall, not equal ef.
 */

/**
 * Create an empty index that owns its vectors (added with vdb_add).
 * @param[out] out  the new handle, written only on success.
 * @param[in]  cfg  the configuration; cfg->dim must be set (1..65536).
 * @return VDB_OK, VDB_EINVAL (NULL, bad config), VDB_ENOMEM.
 * Thread-safe.
 */
VDB_API int vdb_create(vdb_index **out, const vdb_config *cfg);

/**
 * Map a vector file read-only and make an empty graph over it; vdb_build()
 * then links its rows in. The vectors are never copied to the heap: the OS
 * pages in the rows a build or search touches. The file must not change while
 * the index is open. A node's id is its row number in the file.
 * Formats: .npy (float32, little-endian, C order, 2-D); .fvecs (each row an
 * int32 dimension then that many float32); anything else is raw little-endian
 * float32 rows of cfg->dim.
 * @param[out] out           the new handle, written only on success.
 * @param[in]  vectors_path  the vector file.
 * @param[in]  cfg           configuration; cfg->dim is 0 or the file's dimension
 *                           (required for raw files).
 * @return VDB_OK, VDB_EINVAL, VDB_EDIM (cfg->dim differs from the file's),
 *         VDB_EIO (missing path, directory, unreadable), VDB_EFORMAT (empty,
 *         truncated or malformed file), VDB_ERANGE (more than 2^32-2 rows), VDB_ENOMEM.
 * Thread-safe.
 */
VDB_API int vdb_map_vectors(vdb_index **out, const char *vectors_path, const vdb_config *cfg);

/**
 * Link rows [first, first + count) of a mapped vector file into the graph,
 * in parallel on the index's threads. May be called again for further rows,
 * in any order; a row can be built once, or again after vdb_delete removed it.
 * A first build whose rows and graph do not fit in vdb_set_build_memory's
 * bound is made by partitions instead (see there). A build of rows as many
 * as a sixteenth of the index or more walks the graph by int8 codes of every
 * row, made for it and freed when it returns (a byte a dimension a row), and
 * gives the nodes it finds their exact distances before choosing links;
 * under a build memory bound, only a first build with room for the codes
 * too (the bound cannot be planned for a later one: it walks the floats).
 * @return VDB_OK, VDB_EINVAL (NULL; NaN/Inf in a row; an index not made by
 *         vdb_map_vectors; a build memory too small even for partitions,
 *         and the message gives the least that would do), VDB_ERANGE (rows past the end of the file),
 *         VDB_EEXIST (a row already built; nothing is added),
 *         VDB_EFORMAT (an .fvecs row with another dimension), VDB_EREADONLY
 *         (an index from vdb_open), VDB_ENOMEM.
 * Writer: needs exclusive access to the index.
 */
VDB_API int vdb_build(vdb_index *index, uint64_t first, uint64_t count);

/**
 * Bound the memory of vdb_build on an index from vdb_map_vectors, for a
 * vector file larger than the memory the build may use (a container's or a
 * cgroup's limit). A build over a mapped file reads rows all over it, so
 * once the file does not fit in memory it waits on the disk at every step.
 * With a bound, the first vdb_build on the index, if its rows and graph do
 * not fit in it, splits the rows into partitions that do (k-means; each
 * row goes to its two nearest partitions), builds each partition's graph
 * from a copy of its rows read in file order, and merges the graphs: the
 * rows are read in order, once per partition, and the build runs at the
 * speed of the CPU. Twice the insertions, each into a far smaller graph,
 * take about as long as a build of all rows at once, and the recall at
 * the same ef is close to that build's (docs/benchmarks.md).
 * The bound counts the build's own memory (the graph, the copied rows,
 * scratch) with an eighth kept for the page cache; the index's other
 * memory (its id table) is not counted. A later vdb_build on the same
 * index links into the graph there is, without partitions.
 * @param[in] bytes  the bound; 0 (the default) for none.
 * @return VDB_OK, VDB_EINVAL (NULL index).
 * Writer: not while a change runs on the index.
 */
VDB_API int vdb_set_build_memory(vdb_index *index, uint64_t bytes);

/**
 * Copy n vectors into the index and link them into the graph, in parallel.
 * All or nothing: on any error nothing is added (one exception: VDB_ENOMEM
 * while linking, which only a vast number of equal distances can cause,
 * leaves the vectors added with the links found so far). As many vectors
 * as a sixteenth of the index or more are linked as vdb_build links rows,
 * with int8 codes of every row for a while (a byte a dimension a row).
 * @param[in] vectors  n rows of vdb_dim() floats, row after row.
 * @param[in] n        number of rows; 0 is a no-op.
 * @param[in] ids      n ids, or NULL for consecutive ids after the largest id
 *                     the index holds (0, 1, 2, ... for an index filled only
 *                     this way). UINT64_MAX is reserved and refused.
 * @return VDB_OK, VDB_EINVAL (NULL, NaN/Inf, UINT64_MAX id), VDB_EEXIST (an id
 *         already present or repeated in ids), VDB_EREADONLY (an index from
 *         vdb_map_vectors, or from vdb_open without VDB_OPEN_WRITABLE),
 *         VDB_ERANGE (more than 2^32-2 vectors), VDB_ENOMEM.
 * Writer: needs exclusive access to the index.
 */
VDB_API int vdb_add(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids);

/**
 * Insert each vector under its id, or replace the vector of an id the index
 * holds (the old vector is deleted, the new one linked in). All or nothing,
 * as vdb_add.
 * @param[in] vectors  n rows of vdb_dim() floats.
 * @param[in] n        number of rows; 0 is a no-op.
 * @param[in] ids      n distinct ids (required). UINT64_MAX is refused.
 * @return VDB_OK, VDB_EINVAL (NULL vectors or ids, NaN/Inf, UINT64_MAX, an id
 *         repeated in ids), VDB_EREADONLY (as vdb_add), VDB_ERANGE, VDB_ENOMEM.
 * Writer: needs exclusive access to the index.
 */
VDB_API int vdb_upsert(vdb_index *index, const float *vectors, uint64_t n, const uint64_t *ids);

/**
 * Delete the vectors of n ids. All or nothing: if any id is not in the index
 * or is repeated in ids, nothing is deleted. vdb_count() drops by n at once;
 * the file shrinks at the next vdb_save.
 * @param[in] ids  n ids; n = 0 is a no-op.
 * @return VDB_OK, VDB_EINVAL (NULL), VDB_ENOTFOUND (an id absent or repeated;
 *         the message names it), VDB_EREADONLY (an index from vdb_open
 *         without VDB_OPEN_WRITABLE), VDB_ENOMEM.
 * Writer: needs exclusive access to the index.
 */
VDB_API int vdb_delete(vdb_index *index, const uint64_t *ids, uint64_t n);

/**
 * Copy the vector of id into vector_out (vdb_dim() floats). On an index
 * opened from a file the first call builds an id table (16 bytes or so per
 * vector); later calls are O(1).
 * @return VDB_OK, VDB_EINVAL (NULL), VDB_ENOTFOUND (id not in the index, or deleted), VDB_ENOMEM.
 * Reader.
 */
VDB_API int vdb_get(const vdb_index *index, uint64_t id, float *vector_out);

/**
 * Watch, and maybe stop, the long calls on an index: vdb_build and vdb_add
 * call `progress(done, total, context)` with how many of the call's `total`
 * vectors are linked: once with 0 before any work, then each time another
 * hundredth of them is linked or 0.1 s has passed, whichever comes first,
 * and once with total at the end. Only the thread that made
 * the call runs it (never a worker), so it may call into an interpreter.
 * A non-zero return stops the call at once: it returns VDB_ECANCELED and
 * the index answers as before the call (the vectors it had linked count as
 * deleted until the next vdb_save, and their ids are free; a writable
 * index's journal does not keep the change). The return of the last call,
 * with done = total, is not asked. vdb_upsert reports nothing: by the time
 * it links, the vectors it replaces are gone, so it cannot stop cleanly.
 * Codes are trained after the linking and are not reported.
 * @param[in] progress  the callback; NULL to stop reporting.
 * @return VDB_OK, VDB_EINVAL (NULL index).
 * Writer: not while a change runs on the index.
 */
VDB_API int vdb_set_progress(vdb_index *index, int (*progress)(uint64_t done, uint64_t total, void *context),
                             void *context);

/**
 * Find the k nearest neighbours of one query.
 * @param[in]  query      vdb_dim() floats.
 * @param[in]  k          results wanted, >= 1. When the index holds fewer than k
 *                        vectors all of them are returned.
 * @param[in]  ef         beam width; 0 = the index's ef_search; raised to k if smaller.
 * @param[out] ids        k ids, nearest first; slots past *found get UINT64_MAX.
 * @param[out] distances  k distances (may be NULL); slots past *found get +inf.
 * @param[out] found      how many slots hold results (may be NULL).
 * @return VDB_OK, VDB_EINVAL (NULL index/query/ids, k = 0, NaN/Inf in the query), VDB_ENOMEM.
 * Reader: any number of threads may search one index at once.
 */
VDB_API int vdb_search(const vdb_index *index, const float *query, uint32_t k, uint32_t ef, uint64_t *ids,
                       float *distances, uint32_t *found);

/**
 * Search nq queries on the index's threads. Results are laid out query after
 * query: ids[q*k + i], distances[q*k + i], found[q]. The same rules as
 * vdb_search hold per query. Every query is checked before any is searched.
 * @param[in]  queries    nq rows of vdb_dim() floats.
 * @param[out] ids        nq*k ids.
 * @param[out] distances  nq*k distances (may be NULL).
 * @param[out] found      nq counts (may be NULL).
 * @return VDB_OK, VDB_EINVAL, VDB_ENOMEM.
 * Reader: any number of threads may search one index at once.
 */
VDB_API int vdb_search_batch(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k, uint32_t ef,
                             uint64_t *ids, float *distances, uint32_t *found);

/**
 * A filter that allows the ids of a list (copied: the list may be freed at
 * once). Ids the index does not hold are ignored.
 * @param[out] out          the new filter, written only on success.
 * @param[in]  allowed_ids  n ids (may be NULL when n is 0: nothing is allowed).
 * @return VDB_OK, VDB_EINVAL (NULL out, or NULL ids with n > 0), VDB_ENOMEM.
 * Thread-safe.
 */
VDB_API int vdb_filter_create(vdb_filter **out, const uint64_t *allowed_ids, uint64_t n);

/**
 * A filter that asks allow(id, ctx) for each id a search weighs: nonzero
 * allows it. It is called from the searching threads, so it must be
 * thread-safe, and it must not call libvdb on the same index. It may be
 * called for ids the search then does not return. ctx must outlive the filter.
 * @return VDB_OK, VDB_EINVAL (NULL out or allow), VDB_ENOMEM.
 * Thread-safe.
 */
VDB_API int vdb_filter_from_fn(vdb_filter **out, int (*allow)(uint64_t id, void *ctx), void *ctx);

/** Release a filter. NULL is a no-op. No search may be using it. */
VDB_API void vdb_filter_close(vdb_filter *filter);

/**
 * vdb_search restricted to the ids a filter allows: every result is allowed,
 * and the k nearest allowed vectors are found with the same recall as an
 * unfiltered search, however few are allowed. When few are allowed an exact
 * scan of them is faster than the graph and is used instead, so results may
 * be exact. filter NULL is vdb_search.
 * @return as vdb_search.
 * Reader: any number of threads may search one index at once.
 */
VDB_API int vdb_search_filtered(const vdb_index *index, const float *query, uint32_t k, uint32_t ef,
                                const vdb_filter *filter, uint64_t *ids, float *distances, uint32_t *found);

/** vdb_search_batch restricted by a filter, as vdb_search_filtered. Reader. */
VDB_API int vdb_search_batch_filtered(const vdb_index *index, const float *queries, uint64_t nq, uint32_t k,
                                      uint32_t ef, const vdb_filter *filter, uint64_t *ids, float *distances,
                                      uint32_t *found);

/**
 * Write the index, its vectors included, to one self-contained file (format
 * described in docs/format.md). Deleted vectors are left out and the links
 * around them repaired. Atomic: the file is written beside the target under
 * a temporary name, flushed to disk and renamed over it, so a crash, a full
 * disk or a refused write leaves any earlier file at `path` intact. Saving
 * to the path an index was opened from works; the index keeps using the
 * file it opened (the old one, now unnamed) until it is closed. The file
 * keeps the mode of the one it replaces (a new one gets 0666 less the
 * umask), and a save removes temporaries that crashed saves to the same
 * path left behind (docs/format.md, "Writing"). When `path` is a symbolic
 * link, the save replaces the file the link (chain) finally names, creating
 * it if the link dangles, and the link stays a link; a link loop is VDB_EIO.
 * Saving a writable index to the file it was opened from is a checkpoint:
 * the new file holds every change, committed or not, and the journal is
 * emptied. Saving over a file that another process holds writable, or whose
 * journal holds committed changes this index was not opened with, is refused
 * (VDB_EBUSY): those changes would be lost.
 * @return VDB_OK, VDB_EINVAL (NULL), VDB_EIO (with path and errno text),
 *         VDB_ENOSPC (the disk full), VDB_EBUSY, VDB_ENOMEM.
 * Reader: may run while other threads search.
 */
VDB_API int vdb_save(const vdb_index *index, const char *path);

/**
 * Make every change since the last commit durable with one fsync of the
 * journal: after a crash, the next open has all of them or, if the crash
 * came during this call, possibly none; never part. Its cost grows with the
 * changes, not with the index. With nothing to commit it returns at once.
 * Changes not committed are lost at a crash and at vdb_close (unless a
 * checkpoint saved them).
 * @return VDB_OK, VDB_EINVAL (NULL; an index with no file: save it instead),
 *         VDB_EREADONLY (opened read-only), VDB_EIO or VDB_ENOSPC (the
 *         journal could not be written or synced: the changes stay in memory;
 *         after a failed sync, commits and checkpoints are refused until the
 *         index is reopened, since what reached the disk is unknown, and a
 *         vdb_save to another path keeps the changes).
 * Writer.
 */
VDB_API int vdb_commit(vdb_index *index);

/**
 * Map a saved index. Only the header is read and checked: the time and heap
 * this takes do not grow with the index. The vectors and links are used in
 * place from the page cache. A file corrupted after its header cannot crash
 * a search (every link is range-checked) but may give wrong results;
 * vdb_verify() finds it. The file must not be truncated or rewritten in
 * place while open: a search past a truncated end dies of SIGBUS
 * (docs/format.md); vdb_save replaces files by rename, which is safe.
 * With VDB_OPEN_WRITABLE the index accepts vdb_add, vdb_upsert and
 * vdb_delete: its vectors stay mapped from the file and new ones go to the
 * heap, while its links and ids are copied to the heap (about (2m + 1) * 4
 * + 60 bytes per vector, read and range-checked in one pass), since changes
 * rewrite them. Each change is also appended to the journal beside the file,
 * "PATH-journal" (PATH with symbolic links followed), which the writable open
 * creates and vdb_close removes when no commit is left in it; vdb_commit
 * makes the changes durable, and vdb_save to PATH folds them into the file
 * (a checkpoint).
 * One process at a time may hold a file writable: another gets VDB_EBUSY.
 *
 * Every open, read-only too, applies the committed changes in PATH-journal
 * and ignores an uncommitted or torn tail (what a crash leaves). A read-only
 * open of a file with committed changes pending costs what a writable open
 * does, plus the time to redo them: checkpoint to keep opens O(1). A journal
 * damaged before its last commit is refused (VDB_EFORMAT, naming the commit);
 * VDB_OPEN_RECOVER applies the commits before the damage instead, and a
 * writable open then cuts the rest off the journal.
 *
 * VDB_OPEN_DISK is for an index far larger than the memory it is searched
 * in; it needs codes (vdb_config.codes; PQ makes them smallest). Searches
 * then walk the upper levels and choose where to go on level 0 by the
 * codes, which stay in memory, and read each node they expand, its vector
 * and links in one block, straight from the disk (io_uring, or reads on
 * threads where io_uring is refused), several at once, without the page
 * cache. The walk is the one a mapped search makes, node for node, so the
 * ids and distances are the same (for the same ef and rerank); the vectors
 * the rerank measures are those of expanded nodes, already read. Memory is
 * the codes plus the cache that vdb_set_disk_cache sets (none at first).
 * vdb_search_batch walks 32 queries at once on each thread, keeping
 * more reads going: prefer it for throughput. The index is read-only; an
 * index whose codes are not trained yet (fewer than 1024 vectors) is
 * searched as a mapped one.
 * @param[in] flags  enum vdb_open_flags values or-ed together.
 * @return VDB_OK, VDB_EINVAL (NULL, unknown flags; VDB_OPEN_DISK with
 *         VDB_OPEN_WRITABLE or VDB_OPEN_POPULATE, on a file without codes,
 *         or with journal changes not saved into the file), VDB_EIO (missing path,
 *         directory, unreadable; a journal that cannot be created),
 *         VDB_EFORMAT (not a libvdb index, truncated, corrupt; a damaged
 *         journal, or one that extends another file), VDB_EVERSION (newer
 *         format), VDB_EBUSY (writable, and open writable elsewhere),
 *         VDB_ENOMEM.
 * Thread-safe.
 */
VDB_API int vdb_open(vdb_index **out, const char *path, uint32_t flags);

/**
 * Keep the blocks (vector and level-0 links) of up to `bytes` worth of
 * nodes of a disk-resident index in memory, so that searches do not read
 * them: the nodes of the graph's top levels, which every search passes
 * through, then each level down. The blocks are read now, many at once.
 * Replaces the cache there was; 0 empties it. A block is 2 KiB for 384
 * floats (docs/format.md), so 64 MiB holds about 30,000 nodes.
 * @return VDB_OK, VDB_EINVAL (NULL; an index not opened with
 *         VDB_OPEN_DISK), VDB_EIO (a read failed; the cache is then empty),
 *         VDB_ENOMEM.
 * Writer: no search may run on the index meanwhile.
 */
VDB_API int vdb_set_disk_cache(vdb_index *index, uint64_t bytes);

/**
 * Check a saved index completely: header, every section's checksum, every
 * link in range. Reads the whole file.
 * @return VDB_OK, VDB_EINVAL, VDB_EIO, VDB_EFORMAT, VDB_EVERSION, VDB_ENOMEM.
 * Thread-safe.
 */
VDB_API int vdb_verify(const char *path);

/**
 * Set the worker threads used by vdb_build, vdb_add, vdb_upsert, vdb_save and vdb_search_batch*.
 * @param[in] threads  1..1024, or 0 = all online cores.
 * @return VDB_OK, VDB_EINVAL.
 * Writer: needs exclusive access to the index.
 */
VDB_API int vdb_set_threads(vdb_index *index, uint32_t threads);

/**
 * Copy the index's configuration (dim, metric, m, ef_construction,
 * ef_search, threads, seed) into the fields *out's version has: initialise
 * *out with vdb_config_init first.
 * @return VDB_OK, VDB_EINVAL (NULL, or out->version unknown to this library).
 * Reader.
 */
VDB_API int vdb_get_config(const vdb_index *index, vdb_config *out);

/**
 * Release the index and unmap its files. NULL is a no-op.
 * Writer: no other call may be running on the index.
 */
VDB_API void vdb_close(vdb_index *index);

/** Vectors in the index that are not deleted (0 for NULL). Reader. */
VDB_API uint64_t vdb_count(const vdb_index *index);
/**
 * Rows vdb_build can link: the row count of the vector file an index from
 * vdb_map_vectors maps; for other indexes the same as vdb_count(). 0 for NULL. Reader.
 */
VDB_API uint64_t vdb_rows(const vdb_index *index);
/** Deleted vectors the index still holds: they go at the next vdb_save (0 for NULL). Reader. */
VDB_API uint64_t vdb_deleted(const vdb_index *index);
/** The vector dimension (0 for NULL). Reader. */
VDB_API uint32_t vdb_dim(const vdb_index *index);
/** The metric, an enum vdb_metric value (-1 for NULL). Reader. */
VDB_API int32_t vdb_metric(const vdb_index *index);
/**
 * Vectors the index holds codes for, deleted ones included (see "Codes"):
 * 0 until its codes are trained (and always for an index without codes, or
 * NULL), then every vector it holds. vdb_get_config says which codes an
 * index asks for; this says whether its searches walk by them yet. Reader.
 */
VDB_API uint64_t vdb_coded(const vdb_index *index);

/**
 * Map a vector file read-only (formats as in vdb_map_vectors) to read its rows.
 * @param[in] dim  0 or the file's dimension (required for raw files).
 * @return VDB_OK, VDB_EINVAL, VDB_EDIM, VDB_EIO, VDB_EFORMAT, VDB_ENOMEM.
 * Thread-safe.
 */
VDB_API int vdb_vectors_open(vdb_vectors **out, const char *path, uint32_t dim);
/** Rows in the file (0 for NULL). Reader. */
VDB_API uint64_t vdb_vectors_count(const vdb_vectors *vectors);
/** Floats per row (0 for NULL). Reader. */
VDB_API uint32_t vdb_vectors_dim(const vdb_vectors *vectors);
/**
 * Row `row` of the file: vdb_vectors_dim() floats, borrowed from the mapping
 * and valid until vdb_vectors_close(). NULL when row is out of range. Reader.
 */
VDB_API const float *vdb_vectors_row(const vdb_vectors *vectors, uint64_t row);
/** Unmap the file. NULL is a no-op. */
VDB_API void vdb_vectors_close(vdb_vectors *vectors);

/** A fixed English description of a return code, never NULL. Thread-safe. */
VDB_API const char *vdb_strerror(int code);

/**
 * The detail of this thread's most recent failure, such as "dimension
 * mismatch: index has 384, query has 128". Never NULL; "no error" before any
 * failure. Success does not clear it: read it only after a
 * call returned an error. Valid until this thread's next failing libvdb call.
 */
VDB_API const char *vdb_last_error(void);

/** VDB_VERSION_NUMBER of the library that is running. Thread-safe. */
VDB_API uint32_t vdb_version_number(void);
/** "MAJOR.MINOR.PATCH" of the library that is running. Thread-safe. */
VDB_API const char *vdb_version_string(void);

#ifdef __cplusplus
}
#endif

#endif /* VDB_H */
