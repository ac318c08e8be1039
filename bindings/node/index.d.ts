// Types of the vdb package (bindings/node). See README.md.

export type Metric = 'l2' | 'ip' | 'cosine';

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
  | 'VDB_ERANGE';

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
}

export interface OpenOptions {
  /** Check every checksum and link before opening (reads the whole file). */
  verify?: boolean;
  /** Ask the OS to read the whole file into the page cache now. */
  populate?: boolean;
}

export interface SearchOptions {
  /** Beam width; 0 or omitted = the index's efSearch; raised to k if smaller. */
  ef?: number;
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
}

export type Floats = Float32Array | number[];
export type Ids = BigUint64Array | Array<number | bigint>;

export class Index {
  /** An empty index that owns its vectors; fill it with add(). The same as Index.create(options). */
  constructor(options: CreateOptions & { dim: number });
  /** An empty index that owns its vectors; fill it with add(). The same as new Index(options). */
  static create(options: CreateOptions & { dim: number }): Index;
  /** A saved index, mapped read-only (add and build throw VDB_EREADONLY). */
  static open(path: string, options?: OpenOptions): Index;
  /** An empty graph over a vector file (.npy, .fvecs, or raw float32 rows of dim); link its rows with build(). */
  static mapVectors(path: string, options?: CreateOptions): Index;

  /** Vectors linked into the graph. */
  readonly count: number;
  readonly dim: number;
  readonly metric: Metric;
  readonly config: IndexConfig;
  /** True after close(). Every other member then throws VDB_EINVAL. */
  readonly closed: boolean;

  /** Add rows of dim floats; ids one per row, or omitted for the next row numbers. All or nothing. */
  add(vectors: Floats, ids?: Ids): this;
  /** Link rows [first, first + count) of the mapped vector file; first defaults to 0, count to the rest of the file. */
  build(first?: number | bigint, count?: number | bigint): this;
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
  /** search() on a worker thread; do not change the query until the promise settles. */
  searchAsync(query: Floats, k: number, options?: SearchOptions): Promise<SearchResult | BatchSearchResult>;
  /** searchBatch() on a worker thread. */
  searchBatchAsync(queries: Floats, k: number, options?: SearchOptions): Promise<BatchSearchResult>;
  /** Write the index to one file, atomically. */
  save(path: string): this;
  /** Worker threads for add, build and batch search; 0 = all cores. */
  setThreads(threads: number): this;
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
