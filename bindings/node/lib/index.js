'use strict';

// The idiomatic Node layer over libvdb: class Index with Float32Array in and
// typed arrays out, async search on koffi's worker threads, VdbError for
// every failure. The declarations come from ffi.generated.js (see library.js).

const { load } = require('./library.js');

const { api, path: libraryPath } = load();
const C = api.functions;
const K = api.constants;

const CODE_NAMES = new Map(Object.entries(api.enums.vdb_status).map(([name, value]) => [value, name]));
// 'l2', 'ip', 'cosine': the VDB_METRIC_* names in lower case.
const METRICS = Object.freeze(
  Object.fromEntries(Object.entries(api.enums.vdb_metric).map(([name, value]) => [name.replace(/^VDB_METRIC_/, '').toLowerCase(), value])),
);
const METRIC_NAMES = new Map(Object.entries(METRICS).map(([name, value]) => [value, name]));
const UINT32_MAX = 0xffffffff;
const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Every failure of this package. `code` is the C status name ('VDB_EDIM'),
 * `errno` its value (-2), `detail` libvdb's own words (vdb_last_error()), and
 * `message` is `${code}: ${detail}`.
 */
class VdbError extends Error {
  constructor(errno, detail) {
    const code = CODE_NAMES.get(errno) || `VDB_E${errno}`;
    super(`${code}: ${detail}`);
    this.name = 'VdbError';
    this.code = code;
    this.errno = errno;
    this.detail = detail;
  }
}

// The failure of the C call that just returned rc, on this thread.
function failed(rc) {
  return new VdbError(rc, C.vdb_last_error());
}

function check(rc) {
  if (rc !== K.VDB_OK) throw failed(rc);
}

function invalid(detail) {
  return new VdbError(K.VDB_EINVAL, detail);
}

function u32(value, name, min = 0) {
  if (!Number.isInteger(value) || value < min || value > UINT32_MAX) {
    throw invalid(`${name} must be an integer in ${min}..${UINT32_MAX}, not ${String(value)}`);
  }
  return value;
}

function u64(value, name) {
  if (typeof value === 'bigint') {
    if (value < 0n || value > UINT64_MAX) throw invalid(`${name} must be in 0..2^64-1`);
    return value;
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${name} must be a non-negative integer (a bigint beyond 2^53), not ${String(value)}`);
  }
  return value;
}

function floats(value, what) {
  if (value instanceof Float32Array) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== 'number') throw invalid(`${what}[${i}] is a ${typeof value[i]}, not a number`);
    }
    return Float32Array.from(value);
  }
  throw invalid(`${what} must be a Float32Array (or an array of numbers)`);
}

function idArray(ids, n) {
  if (ids === undefined || ids === null) return null;
  let out;
  if (ids instanceof BigUint64Array) {
    out = ids;
  } else if (Array.isArray(ids)) {
    out = new BigUint64Array(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = BigInt(u64(ids[i], `ids[${i}]`));
  } else {
    throw invalid('ids must be a BigUint64Array (or an array of integers)');
  }
  if (out.length !== n) throw invalid(`${out.length} ids given for ${n} vectors`);
  return out;
}

const CONFIG_KEYS = new Set(['dim', 'metric', 'm', 'efConstruction', 'efSearch', 'threads', 'seed']);

// A vdb_config (as koffi's plain object) from the JS options.
function makeConfig(opts, what) {
  if (opts === undefined) opts = {};
  if (opts === null || typeof opts !== 'object') throw invalid(`${what} options must be an object`);
  for (const key of Object.keys(opts)) {
    if (!CONFIG_KEYS.has(key)) throw invalid(`unknown option '${key}' (known: ${[...CONFIG_KEYS].join(', ')})`);
  }
  const cfg = {};
  C.vdb_config_init(cfg);
  if (opts.dim !== undefined) cfg.dim = u32(opts.dim, 'dim');
  if (opts.metric !== undefined) {
    const metric = typeof opts.metric === 'number' ? opts.metric : METRICS[opts.metric];
    if (!METRIC_NAMES.has(metric)) throw invalid(`metric must be 'l2', 'ip' or 'cosine', not ${String(opts.metric)}`);
    cfg.metric = metric;
  }
  if (opts.m !== undefined) cfg.m = u32(opts.m, 'm');
  if (opts.efConstruction !== undefined) cfg.ef_construction = u32(opts.efConstruction, 'efConstruction');
  if (opts.efSearch !== undefined) cfg.ef_search = u32(opts.efSearch, 'efSearch');
  if (opts.threads !== undefined) cfg.threads = u32(opts.threads, 'threads');
  if (opts.seed !== undefined) cfg.seed = u64(opts.seed, 'seed');
  return cfg;
}

// The state shared by an Index and its finalizer (it must not refer to the
// Index, or the Index would never be collected). ptr is null once closed;
// pending counts async searches still running on worker threads, which keep
// the handle open until they are done.
function release(state) {
  if (state.ptr === null) return;
  if (state.pending > 0) {
    state.closeWhenIdle = true;
  } else {
    C.vdb_close(state.ptr);
  }
  state.ptr = null;
}

function settle(state) {
  state.pending--;
  if (state.pending === 0 && state.closeWhenIdle) {
    state.closeWhenIdle = false;
    C.vdb_close(state.handleForPending);
  }
}

const finalizers = new FinalizationRegistry((state) => release(state));
// Index.open and Index.mapVectors hand the constructor a handle they made
// with this token, which no caller outside this module can forge.
const ADOPT = Symbol('vdb.Index.adopt');

// A new empty index's handle (vdb_create).
function createHandle(opts) {
  if (typeof opts === 'string') throw invalid('Index options must be an object (a saved index opens with Index.open(path))');
  const cfg = makeConfig(opts, 'Index');
  if (opts === undefined || opts.dim === undefined) throw invalid('Index needs dim, the vector dimension');
  const out = [null];
  check(C.vdb_create(out, cfg));
  return out[0];
}

class Index {
  #state;

  /**
   * An empty index that owns its vectors; fill it with add().
   * new Index({ dim, metric, ... }) is Index.create({ dim, metric, ... }).
   */
  constructor(opts, handle) {
    const ptr = opts === ADOPT ? handle : createHandle(opts);
    this.#state = { ptr, pending: 0, closeWhenIdle: false, handleForPending: ptr, rows: null };
    finalizers.register(this, this.#state, this);
  }

  /** An empty index that owns its vectors; fill it with add(). The same as new Index(opts). */
  static create(opts) {
    return new Index(opts);
  }

  /** A saved index, mapped read-only. opts: { verify, populate }. */
  static open(path, opts = {}) {
    if (typeof path !== 'string') throw invalid('path must be a string');
    if (opts === null || typeof opts !== 'object') throw invalid('Index.open options must be an object');
    for (const key of Object.keys(opts)) {
      if (key !== 'verify' && key !== 'populate') throw invalid(`unknown option '${key}' (known: verify, populate)`);
    }
    let flags = K.VDB_OPEN_DEFAULT;
    if (opts.verify) flags |= K.VDB_OPEN_VERIFY;
    if (opts.populate) flags |= K.VDB_OPEN_POPULATE;
    const out = [null];
    check(C.vdb_open(out, path, flags));
    return new Index(ADOPT, out[0]);
  }

  /** An empty graph over a vector file (.npy, .fvecs or raw float32); link rows with build(). */
  static mapVectors(path, opts = {}) {
    if (typeof path !== 'string') throw invalid('path must be a string');
    const cfg = makeConfig(opts, 'Index.mapVectors');
    const out = [null];
    check(C.vdb_map_vectors(out, path, cfg));
    const index = new Index(ADOPT, out[0]);
    index.#state.rows = Number(C.vdb_rows(out[0]));
    return index;
  }

  #live() {
    const ptr = this.#state.ptr;
    if (ptr === null) throw invalid('the index is closed');
    return ptr;
  }

  get closed() {
    return this.#state.ptr === null;
  }

  /** Rows in the vector file of an index from mapVectors(); null for the others. */
  get rows() {
    this.#live();
    return this.#state.rows;
  }

  get count() {
    return Number(C.vdb_count(this.#live()));
  }

  get dim() {
    return C.vdb_dim(this.#live());
  }

  get metric() {
    return METRIC_NAMES.get(C.vdb_metric(this.#live()));
  }

  /** The configuration: { dim, metric, m, efConstruction, efSearch, threads, seed }. */
  get config() {
    const cfg = {};
    check(C.vdb_get_config(this.#live(), cfg));
    return {
      dim: cfg.dim,
      metric: METRIC_NAMES.get(cfg.metric),
      m: cfg.m,
      efConstruction: cfg.ef_construction,
      efSearch: cfg.ef_search,
      threads: cfg.threads,
      seed: cfg.seed,
    };
  }

  /**
   * Add vectors (rows of dim floats, one after another); ids is a
   * BigUint64Array of one id per row, or omitted for the next row numbers.
   */
  add(vectors, ids) {
    const ptr = this.#writable('add');
    const data = floats(vectors, 'vectors');
    const dim = C.vdb_dim(ptr);
    if (data.length % dim !== 0) {
      throw new VdbError(K.VDB_EDIM, `dimension mismatch: index has ${dim}, vectors hold ${data.length} floats (not whole rows)`);
    }
    const n = data.length / dim;
    const idBuffer = idArray(ids, n);
    if (n === 0) return this; // koffi would pass NULL for the empty array; adding nothing is a no-op
    check(C.vdb_add(ptr, data, n, idBuffer));
    return this;
  }

  /**
   * Link rows [first, first + count) of the mapped vector file into the
   * graph; first defaults to 0, count to the rest of the file.
   */
  build(first = 0, count) {
    const ptr = this.#writable('build');
    first = u64(first, 'first');
    if (count === undefined) {
      const rows = this.#state.rows;
      count = rows === null ? 0 : Math.max(0, rows - Number(first));
    }
    check(C.vdb_build(ptr, first, u64(count, 'count')));
    return this;
  }

  // The C API lets a change run only with no search in flight; an async search
  // runs on a worker thread, so refuse the change rather than race it.
  #writable(call) {
    const ptr = this.#live();
    if (this.#state.pending > 0) {
      throw invalid(`${call}: ${this.#state.pending} searchAsync call(s) still running; await them first`);
    }
    return ptr;
  }

  #prepare(query, k, opts) {
    const ptr = this.#live();
    const q = floats(query, 'query');
    const dim = C.vdb_dim(ptr);
    if (q.length === 0 || q.length % dim !== 0) {
      throw new VdbError(K.VDB_EDIM, `dimension mismatch: index has ${dim}, query has ${q.length} floats`);
    }
    u32(k, 'k');
    let ef = 0;
    if (opts !== undefined) {
      if (opts === null || typeof opts !== 'object') throw invalid('search options must be an object');
      for (const key of Object.keys(opts)) if (key !== 'ef') throw invalid(`unknown option '${key}' (known: ef)`);
      if (opts.ef !== undefined) ef = u32(opts.ef, 'ef');
    }
    const nq = q.length / dim;
    let ids, distances, found;
    try {
      // koffi passes an empty typed array as NULL: keep one slot so that k = 0
      // reaches the library, which reports it.
      ids = new BigUint64Array(Math.max(nq * k, 1));
      distances = new Float32Array(Math.max(nq * k, 1));
      found = new Uint32Array(nq);
    } catch (err) {
      throw new VdbError(K.VDB_ENOMEM, `cannot allocate results for ${nq} x ${k}: ${err.message}`);
    }
    return { ptr, q, nq, dim, k, ef, ids, distances, found };
  }

  static #result(p, batch) {
    return { ids: p.ids, distances: p.distances, found: batch ? p.found : p.found[0] };
  }

  /**
   * The k nearest neighbours of a query of dim floats: { ids, distances,
   * found } with k slots each (slots past found hold 2^64-1 and Infinity).
   * A query of several rows (a multiple of dim) is a batch: ids and
   * distances hold nq*k slots, query after query, and found is a Uint32Array.
   */
  search(query, k, opts) {
    return this.#search(query, k, opts, false);
  }

  /** search() that always takes the batch path: found is a Uint32Array, even for one query. */
  searchBatch(queries, k, opts) {
    return this.#search(queries, k, opts, true);
  }

  #search(query, k, opts, forceBatch) {
    const p = this.#prepare(query, k, opts);
    const batch = forceBatch || p.nq > 1;
    if (batch) {
      check(C.vdb_search_batch(p.ptr, p.q, p.nq, p.k, p.ef, p.ids, p.distances, p.found));
    } else {
      check(C.vdb_search(p.ptr, p.q, p.k, p.ef, p.ids, p.distances, p.found));
    }
    return Index.#result(p, batch);
  }

  /**
   * search() on one of koffi's worker threads: the event loop is free while
   * it runs. Do not change the query array until the promise settles.
   */
  searchAsync(query, k, opts) {
    return this.#searchAsync(query, k, opts, false);
  }

  /** searchBatch() on a worker thread. */
  searchBatchAsync(queries, k, opts) {
    return this.#searchAsync(queries, k, opts, true);
  }

  #searchAsync(query, k, opts, forceBatch) {
    let p;
    try {
      p = this.#prepare(query, k, opts);
      // vdb_last_error() is per thread and the call runs on a worker, so the
      // checks whose detail matters are made here, in the caller's thread.
      if (p.k === 0) throw invalid('k must be at least 1');
      for (let i = 0; i < p.q.length; i++) {
        if (!Number.isFinite(p.q[i])) throw invalid(`query ${Math.floor(i / p.dim)} holds NaN or Inf`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const state = this.#state;
    const batch = forceBatch || p.nq > 1;
    return new Promise((resolve, reject) => {
      const done = (err, rc) => {
        settle(state);
        if (err) reject(err);
        else if (rc !== K.VDB_OK) {
          reject(new VdbError(rc, `${C.vdb_strerror(rc)} (the call ran on a worker thread, whose vdb_last_error() detail is out of reach)`));
        } else resolve(Index.#result(p, batch));
      };
      state.pending++;
      try {
        if (batch) C.vdb_search_batch.async(p.ptr, p.q, p.nq, p.k, p.ef, p.ids, p.distances, p.found, done);
        else C.vdb_search.async(p.ptr, p.q, p.k, p.ef, p.ids, p.distances, p.found, done);
      } catch (err) {
        settle(state);
        reject(err);
      }
    });
  }

  /** Write the index to one file, atomically. */
  save(path) {
    const ptr = this.#live();
    if (typeof path !== 'string') throw invalid('path must be a string');
    check(C.vdb_save(ptr, path));
    return this;
  }

  /** Worker threads for build, add and batch search; 0 = all cores. */
  setThreads(threads) {
    check(C.vdb_set_threads(this.#writable('setThreads'), u32(threads, 'threads')));
    return this;
  }

  /**
   * Release the index now (the garbage collector would, later). Calls after
   * close() throw VDB_EINVAL; async searches still running finish first.
   * Closing twice is harmless.
   */
  close() {
    finalizers.unregister(this);
    release(this.#state);
  }
}

// `using index = Index.open(...)` where the runtime has explicit resource management.
if (typeof Symbol.dispose === 'symbol') {
  Index.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}

/** Check a saved index completely; returns true or throws VdbError. */
function verify(path) {
  if (typeof path !== 'string') throw invalid('path must be a string');
  check(C.vdb_verify(path));
  return true;
}

module.exports = {
  Index,
  VdbError,
  verify,
  version: C.vdb_version_string(),
  versionNumber: C.vdb_version_number(),
  constants: K,
  libraryPath,
};
