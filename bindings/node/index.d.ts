// Types of the vdb package (bindings/node). See README.md.

export type Metric = 'l2' | 'ip' | 'cosine';
/** Compressed copies of the vectors that searches walk the graph by; 'none' (or null) for none. */
export type Codes = 'none' | 'int8' | 'pq';

/** The libvdb status names, as in include/vdb.h. */
export type VdbCode =
  | 'VDB_EINVAL'
  | 'VDB_EDIM'
  | 'VDB_ENOMEM'
  | 'VDB_EIO'
  | 'VDB_EFORMAT'
  | 'VDB_EVERSION'
  | 'VDB_EREADONLY'
  | 'VDB_EEXIST'
  | 'VDB_ERANGE'
  | 'VDB_ENOTFOUND'
  | 'VDB_EBUSY'
  | 'VDB_ENOSPC'
  | 'VDB_ECANCELED';

/**
 * Every failure of the package. `code` is the status name, `errno` its C
 * value (negative), `detail` libvdb's own message (vdb_last_error()), and
 * `message` is `${code}: ${detail}`. Bad arguments found before the C call
 * (wrong types, a closed index) are VDB_EINVAL or VDB_EDIM too.
 */
export class VdbError extends Error {
  readonly name: 'VdbError';
  readonly code: VdbCode | string;
  readonly errno: number;
  readonly detail: string;
}

export interface CreateOptions {
  /** Vector dimension, 1..65536. Required by new Index and Index.create; 0 or omitted = read it from the file in Index.mapVectors. */
  dim?: number;
  /** Default 'l2' (squared Euclidean); 'ip' = 1 - dot; 'cosine' = 1 - cos. */
  metric?: Metric;
  /** Links per node on upper layers, 2..256 (default 16). */
  m?: number;
  /** Beam width while building (default 200). */
  efConstruction?: number;
  /** Beam width of a search that gives no ef (default 64). */
  efSearch?: number;
  /** Worker threads for add, build and batch search; 0 = all cores (default). */
  threads?: number;
  /** Level generator seed (default 42). */
  seed?: number | bigint;
  /**
   * 'int8': keep a byte per dimension of each vector beside its float32 row;
   * 'pq': codeBytes bytes a vector (product quantization). A search walks
   * the graph by the codes, then measures its `rerank` best candidates with
   * the float32 rows, so its distances are exact. Trained when the index
   * first holds 1024 vectors (int8) or 4096 (pq). Default 'none' (null: the same).
   */
  codes?: Codes | null;
  /** With codes 'pq': bytes a vector, 1..dim; 0 or omitted = dim / 8. Must be 0 for other codes. */
  codeBytes?: number;
  /** With codes: a search's best candidates by code that get their exact distance, 0..65536, raised to k; 0 = all ef (default). */
  rerank?: number;
}

export interface OpenOptions {
  /** Check every checksum and link before opening (reads the whole file). */
  verify?: boolean;
  /** Ask the OS to read the whole file into the page cache now. */
  populate?: boolean;
  /**
   * Take add, upsert and delete (VDB_OPEN_WRITABLE). The vectors stay mapped
   * from the file; the links and ids are copied to memory (about
   * (2m + 1) * 4 + 24 bytes per vector). Each change is also written to the
   * journal `${path}-journal`: commit() makes them durable, save(path) folds
   * them into the file (a checkpoint); changes neither committed nor saved
   * are lost at close(). One writable open of a file at a time: another
   * throws VDB_EBUSY. Default false: read-only, and changes throw
   * VDB_EREADONLY.
   */
  writable?: boolean;
  /**
   * A journal damaged before its last commit throws VDB_EFORMAT; with
   * recover (VDB_OPEN_RECOVER) its intact commits are applied instead and
   * the rest dropped (a writable open cuts them off the journal).
   */
  recover?: boolean;
  /**
   * Disk-resident search (VDB_OPEN_DISK) of an index saved with codes (int8
   * or pq): the codes stay in memory and each node a search expands, its
   * vector and links, is read straight from the disk; the same ids and
   * distances as the mapped index. Memory is the codes plus the cache that
   * setDiskCache() sets (none at first). Read-only; throws VDB_EINVAL with
   * writable or populate, on an index without codes, or with journal changes
   * not yet saved into the file.
   */
  disk?: boolean;
}

/** An allow-list of ids: an array of numbers (safe integers) or bigints, a Set of them, or a BigUint64Array. */
export type IdList = BigUint64Array | Array<number | bigint> | Set<number | bigint>;

export interface SearchOptions {
  /** Beam width; 0 or omitted = the index's efSearch; raised to k if smaller. */
  ef?: number;
  /**
   * Return only these ids: a list (made into a C filter for this one call)
   * or a Filter (made once, for many searches). Ids the index does not hold
   * are ignored; an empty list allows nothing. null or omitted: no filter.
   */
  filter?: IdList | Filter | null;
}

export interface ChangeOptions {
  /**
   * Called on this thread during add() or build() with (0, total), then each
   * hundredth of the way (or 0.1 s), then (total, total). Returning true cancels: the call
   * throws VDB_ECANCELED and adds nothing; a throw cancels too and is
   * rethrown. The function must not use the index.
   */
  progress?: ((done: number, total: number) => boolean | void) | null;
}

export interface BuildOptions extends ChangeOptions {
  /**
   * Bound the build's memory, in bytes: when the rows and the graph do not
   * fit, the first build splits the rows into partitions that do, builds
   * each in memory from rows read in file order, and merges the graphs
   * (vdb_set_build_memory). null or omitted: no bound.
   */
  memory?: number | bigint | null;
}

export interface SearchResult {
  /** k ids, nearest first; slots past `found` hold 2^64-1. */
  ids: BigUint64Array;
  /** k distances; slots past `found` hold Infinity. */
  distances: Float32Array;
  /** How many slots hold results. */
  found: number;
}

export interface BatchSearchResult {
  /** nq*k ids, query after query. */
  ids: BigUint64Array;
  /** nq*k distances, query after query. */
  distances: Float32Array;
  /** nq counts. */
  found: Uint32Array;
}

export interface IndexConfig {
  dim: number;
  metric: Metric;
  m: number;
  efConstruction: number;
  efSearch: number;
  threads: number;
  seed: number | bigint;
  /** 'int8', 'pq', or null for an index without codes. A saved index keeps it. */
  codes: 'int8' | 'pq' | null;
  /** pq's bytes a vector (what 0 chose); 0 for other codes. */
  codeBytes: number;
  rerank: number;
}

export type Floats = Float32Array | number[];
/** Ids for add and upsert, one per row: a BigUint64Array, an array of numbers or bigints, or one id for one row. */
export type Ids = BigUint64Array | Array<number | bigint> | number | bigint;
/** An id: a non-negative safe integer, or a bigint up to 2^64-2. */
export type Id = number | bigint;

/**
 * An allow-list of ids for search(q, k, { filter }), copied into C once so
 * that many searches (async ones too, on any index) can share it without
 * converting the list each time. Release it with close(), or `using`;
 * otherwise a FinalizationRegistry frees it when it is collected.
 */
export class Filter {
  /** ids: an array of numbers or bigints, a Set of them, or a BigUint64Array (copied; change it freely after). */
  constructor(ids: IdList);
  /** True after close(); a search given a closed Filter throws VDB_EINVAL. */
  readonly closed: boolean;
  /** Release it now; async searches still using it finish first. Closing twice is harmless. */
  close(): void;
}

export class Index {
  /** An empty index that owns its vectors; fill it with add(). The same as Index.create(options). */
  constructor(options: CreateOptions & { dim: number });
  /** An empty index that owns its vectors; fill it with add(). The same as new Index(options). */
  static create(options: CreateOptions & { dim: number }): Index;
  /**
   * A saved index, mapped in O(1): read-only (changes throw VDB_EREADONLY), or with { writable: true } taking add, upsert and delete.
   * Every open applies the committed changes in `${path}-journal`. Throws VDB_EBUSY for a writable open of a file open writable elsewhere.
   */
  static open(path: string, options?: OpenOptions): Index;
  /** An empty graph over a vector file (.npy, .fvecs, or raw float32 rows of dim); link its rows with build(). */
  static mapVectors(path: string, options?: CreateOptions): Index;

  /** Vectors in the index, deleted ones not counted. */
  readonly count: number;
  /** Deleted vectors the index still holds; the next save() leaves them out of the file. */
  readonly deleted: number;
  readonly dim: number;
  readonly metric: Metric;
  readonly config: IndexConfig;
  /** True after close(). Every other member then throws VDB_EINVAL. */
  readonly closed: boolean;

  /** Add rows of dim floats; ids one per row, or omitted for the ids after the largest the index holds. All or nothing; an id already held throws VDB_EEXIST. */
  add(vectors: Floats, ids?: Ids, options?: ChangeOptions): this;
  /** Insert each row under its id, or replace the vector of an id the index holds. ids required, distinct. All or nothing. */
  upsert(vectors: Floats, ids: Ids): this;
  /** Delete the vectors of these ids. All or nothing: an id not held, or given twice, throws VDB_ENOTFOUND and deletes none. */
  delete(ids: Id | IdList): this;
  /** A copy of the vector of id (dim floats); throws VDB_ENOTFOUND if the index does not hold it. */
  get(id: Id): Float32Array;
  /** Whether the index holds id (a deleted id is not held). */
  has(id: Id): boolean;
  /** Link rows [first, first + count) of the mapped vector file; first defaults to 0, count to the rest of the file. */
  build(first?: number | bigint, count?: number | bigint, options?: BuildOptions): this;
  /** Rows in the vector file of an index from mapVectors(); null for the others. */
  readonly rows: number | null;
  /**
   * The k nearest neighbours. A query of dim floats gives a SearchResult; a
   * query of several rows (nq*dim floats) is searched as a batch
   * (vdb_search_batch, on the index's threads) and gives a BatchSearchResult.
   * Narrow with `typeof result.found === 'number'`, or call searchBatch().
   */
  search(query: Floats, k: number, options?: SearchOptions): SearchResult | BatchSearchResult;
  /** Always the batch path: nq*dim floats in, found a Uint32Array(nq) out, even for nq = 1. */
  searchBatch(queries: Floats, k: number, options?: SearchOptions): BatchSearchResult;
  /**
   * search() on a worker thread; do not change the query until the promise
   * settles. While it runs, add, upsert, delete, build, commit and setThreads on this
   * index throw VDB_EINVAL; searches, get, has and save may run.
   */
  searchAsync(query: Floats, k: number, options?: SearchOptions): Promise<SearchResult | BatchSearchResult>;
  /** searchBatch() on a worker thread. */
  searchBatchAsync(queries: Floats, k: number, options?: SearchOptions): Promise<BatchSearchResult>;
  /**
   * Write the index to one file, atomically, leaving deleted vectors out. Saving over the file it was opened from works,
   * and for a writable index is a checkpoint: the file gets every change, committed or not, and the journal is emptied.
   * Throws VDB_EBUSY over a file open writable elsewhere or whose journal holds changes; VDB_ENOSPC when the disk is full.
   */
  save(path: string): this;
  /**
   * Make the changes since the last commit durable in the journal (`${path}-journal`), with one fsync; every later open
   * of the file has them. Changes neither committed nor saved are lost at close(). Throws VDB_EREADONLY on an index
   * opened read-only, VDB_EINVAL on one with no file (save it instead), VDB_EIO or VDB_ENOSPC when the journal cannot be
   * written. Like add, it throws VDB_EINVAL while a searchAsync runs.
   */
  commit(): this;
  /** Worker threads for add, upsert, build, save and batch search; 0 = all cores. */
  setThreads(threads: number): this;
  /**
   * Keep up to `bytes` of node blocks of an index opened with { disk: true } in memory, the graph's top levels first,
   * so searches do not read them; replaces the cache there was, 0 empties it. Throws VDB_EINVAL on an index not opened
   * with disk, VDB_EIO when a read fails. Like add, it throws VDB_EINVAL while a searchAsync runs.
   */
  setDiskCache(bytes: number | bigint): this;
  /** Release the index now; running async searches finish first. Closing twice is harmless. */
  close(): void;
}

/** Check a saved index completely (checksums, links); true, or throws VdbError. */
export function verify(path: string): true;

/** "MAJOR.MINOR.PATCH" of the libvdb loaded. */
export const version: string;
/** VDB_VERSION_NUMBER of the libvdb loaded (major*10000 + minor*100 + patch). */
export const versionNumber: number;
/** Every enum constant of vdb.h by its C name, e.g. constants.VDB_EDIM === -2. */
export const constants: Readonly<Record<string, number>>;
/** The libvdb file (or soname) that was loaded. */
export const libraryPath: string;
