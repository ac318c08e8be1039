'use strict';

// The idiomatic Node layer over libvdb: class Index with Float32Array in and
// typed arrays out, async search on koffi's worker threads, class Filter (an
// allow-list of ids a search may return), VdbError for every failure. The
// declarations come from ffi.generated.js (see library.js).

const { load, koffi } = require('./library.js');

const { api, path: libraryPath } = load();
const C = api.functions;
const K = api.constants;

const CODE_NAMES = new Map(Object.entries(api.enums.vdb_status).map(([name, value]) => [value, name]));
// 'l2', 'ip', 'cosine': the VDB_METRIC_* names in lower case.
const METRICS = Object.freeze(
  Object.fromEntries(Object.entries(api.enums.vdb_metric).map(([name, value]) => [name.replace(/^VDB_METRIC_/, '').toLowerCase(), value])),
);
const METRIC_NAMES = new Map(Object.entries(METRICS).map(([name, value]) => [value, name]));
// 'none', 'int8', 'pq': the VDB_CODES_* names in lower case. config reports none as null.
const CODES = Object.freeze(
  Object.fromEntries(Object.entries(api.enums.vdb_codes).map(([name, value]) => [name.replace(/^VDB_CODES_/, '').toLowerCase(), value])),
);
const CODES_NAMES = new Map(Object.entries(CODES).map(([name, value]) => [value, value === CODES.none ? null : name]));
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

// A list of ids as a BigUint64Array, from an array of numbers or bigints, a
// BigUint64Array (used as it is, no copy), one id (where single is true) or
// a Set of ids (where sets is true). also names other kinds the caller
// takes, for the error message.
function idList(value, what, { single = true, sets = false, also = null } = {}) {
  if (value instanceof BigUint64Array) return value;
  if (single && (typeof value === 'number' || typeof value === 'bigint')) return BigUint64Array.of(BigInt(u64(value, what)));
  let items = null;
  if (Array.isArray(value)) items = value;
  else if (sets && value instanceof Set) items = [...value];
  if (items === null) {
    const kinds = [single && 'an id', 'an array of ids', sets && 'a Set of ids', 'a BigUint64Array', also].filter(Boolean);
    throw invalid(`${what} must be ${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1]}, not ${describe(value)}`);
  }
  const out = new BigUint64Array(items.length);
  for (let i = 0; i < items.length; i++) out[i] = BigInt(u64(items[i], `${what}[${i}]`));
  return out;
}

// 'a string', 'an Int32Array', 'an object', 'undefined': for error messages.
function describe(value) {
  if (value === null || value === undefined) return String(value);
  let name = typeof value;
  if (name === 'object') name = Array.isArray(value) ? 'array' : (value.constructor && value.constructor.name) || 'object';
  if (name === 'Object') name = 'object';
  return `${/^[aeioAEIO]/.test(name) ? 'an' : 'a'} ${name}`;
}

// The ids of add and upsert: one per row of vectors.
function idArray(ids, n) {
  if (ids === undefined || ids === null) return null;
  const out = idList(ids, 'ids');
  if (out.length !== n) throw invalid(`${out.length} ids given for ${n} vectors`);
  return out;
}

// A vdb_config with the defaults, of the version these declarations know.
// koffi passes the object in and writes the struct back into it (_Inout_).
function newConfig() {
  const cfg = {};
  C.vdb_config_init(cfg, K.VDB_CONFIG_VERSION);
  return cfg;
}

const CONFIG_KEYS = new Set(['dim', 'metric', 'm', 'efConstruction', 'efSearch', 'threads', 'seed', 'codes', 'codeBytes', 'rerank']);

// A vdb_config (as koffi's plain object) from the JS options.
function makeConfig(opts, what) {
  if (opts === undefined) opts = {};
  if (opts === null || typeof opts !== 'object') throw invalid(`${what} options must be an object`);
  for (const key of Object.keys(opts)) {
    if (!CONFIG_KEYS.has(key)) throw invalid(`unknown option '${key}' (known: ${[...CONFIG_KEYS].join(', ')})`);
  }
  const cfg = newConfig();
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
  if (opts.codes !== undefined && opts.codes !== null) {
    const codes = typeof opts.codes === 'number' ? opts.codes : typeof opts.codes === 'string' ? CODES[opts.codes] : undefined;
    if (!CODES_NAMES.has(codes)) {
      const given = typeof opts.codes === 'string' ? `'${opts.codes}'` : typeof opts.codes === 'number' ? opts.codes : describe(opts.codes);
      throw invalid(`codes must be ${Object.keys(CODES).map((name) => `'${name}'`).join(', ')} or null, not ${given}`);
    }
    cfg.codes = codes;
  }
  if (opts.codeBytes !== undefined) cfg.code_bytes = u32(opts.codeBytes, 'codeBytes');
  if (opts.rerank !== undefined) cfg.rerank = u32(opts.rerank, 'rerank');
  return cfg;
}

// The state shared by a handle's owner (an Index or a Filter) and its
// finalizer; it must not refer to the owner, or the owner would never be
// collected. ptr is null once closed; pending counts async searches still
// running on worker threads that use the handle: they keep it alive until
// they are done, and close() or the finalizer then frees it.
function handleState(ptr, free) {
  return { ptr, free, pending: 0, closeWhenIdle: false, handleForPending: ptr };
}

function release(state) {
  if (state.ptr === null) return;
  if (state.pending > 0) {
    state.closeWhenIdle = true;
  } else {
    state.free(state.ptr);
  }
  state.ptr = null;
}

function settle(state) {
  state.pending--;
  if (state.pending === 0 && state.closeWhenIdle) {
    state.closeWhenIdle = false;
    state.free(state.handleForPending);
  }
}

const finalizers = new FinalizationRegistry((state) => release(state));
// Index.open and Index.mapVectors hand the constructor a handle they made
// with this token, which no caller outside this module can forge.
const ADOPT = Symbol('vdb.Index.adopt');
// Filter -> its handle state, for Index's searches (a private field of Filter
// is out of Index's reach).
const filterStates = new WeakMap();

/**
 * An allow-list of ids for search(..., { filter }): a search then returns
 * only ids of the list. The ids are copied into C once, so one Filter serves
 * any number of searches (on any indexes, async ones included) without the
 * cost of converting the list each time. Ids no index holds are ignored; an
 * empty list allows nothing. Release it with close() (or let the collector).
 */
class Filter {
  #state;

  constructor(ids) {
    const list = idList(ids, 'Filter ids', { single: false, sets: true });
    const out = [null];
    // koffi passes an empty typed array as NULL, which vdb_filter_create takes for n = 0.
    check(C.vdb_filter_create(out, list, list.length));
    this.#state = handleState(out[0], C.vdb_filter_close);
    filterStates.set(this, this.#state);
    finalizers.register(this, this.#state, this);
  }

  /** True after close(). Searches given a closed Filter throw VDB_EINVAL. */
  get closed() {
    return this.#state.ptr === null;
  }

  /** Release the filter now; async searches still using it finish first. Closing twice is harmless. */
  close() {
    finalizers.unregister(this);
    release(this.#state);
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Filter.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}

// The filter option of a search: undefined/null (none), a Filter, or ids.
function checkFilterOption(filter) {
  if (filter === undefined || filter === null) return null;
  if (filter instanceof Filter) {
    if (filter.closed) throw invalid('the filter is closed');
    return filter;
  }
  return idList(filter, 'filter', { single: false, sets: true, also: 'a vdb.Filter' });
}

// The vdb_filter for one search: a Filter's own (owned: false), or one made
// from an id list for this call (owned: true; the caller closes it).
function acquireFilter(spec) {
  if (spec === null) return { ptr: null, owned: false, state: null };
  if (spec instanceof Filter) {
    const state = filterStates.get(spec);
    if (state.ptr === null) throw invalid('the filter is closed');
    return { ptr: state.ptr, owned: false, state };
  }
  const out = [null];
  check(C.vdb_filter_create(out, spec, spec.length));
  return { ptr: out[0], owned: true, state: null };
}

function releaseFilter(filter) {
  if (filter.owned) C.vdb_filter_close(filter.ptr);
}

// A new empty index's handle (vdb_create).
function createHandle(opts) {
  if (typeof opts === 'string') throw invalid('Index options must be an object (a saved index opens with Index.open(path))');
  const cfg = makeConfig(opts, 'Index');
  if (opts === undefined || opts.dim === undefined) throw invalid('Index needs dim, the vector dimension');
  const out = [null];
  check(C.vdb_create(out, cfg));
  return out[0];
}

const OPEN_KEYS = ['verify', 'populate', 'writable', 'recover', 'disk'];
const CHANGE_KEYS = ['progress'];
const BUILD_KEYS = ['progress', 'memory'];

// The progress function of add() or build() options, or null.
function progressOption(opts, call, keys = CHANGE_KEYS) {
  if (opts === undefined || opts === null) return null;
  if (typeof opts !== 'object') throw invalid(`${call} options must be an object`);
  for (const key of Object.keys(opts)) {
    if (!keys.includes(key)) throw invalid(`unknown option '${key}' (known: ${keys.join(', ')})`);
  }
  const { progress } = opts;
  if (progress === undefined || progress === null) return null;
  if (typeof progress !== 'function') throw invalid('progress must be a function (done, total) => boolean');
  return progress;
}

// Run call() with progress set as the index's vdb_set_progress callback for
// just that call. The library calls it on this thread, during the call. A
// truthy return cancels (VDB_ECANCELED); so does a throw, which koffi cannot
// carry through C, so it is kept and rethrown once the call has returned.
function withProgress(ptr, state, progress, call) {
  if (progress === null) return call();
  let thrown = null;
  const callback = koffi.register((done, total) => {
    if (thrown !== null) return 1;
    try {
      return progress(Number(done), Number(total)) ? 1 : 0;
    } catch (err) {
      thrown = { err };
      return 1;
    }
  }, koffi.pointer(api.types.vdb_set_progress_progress));
  let rc;
  try {
    check(C.vdb_set_progress(ptr, callback, null));
    state.reporting = true;
    rc = call();
  } finally {
    state.reporting = false;
    C.vdb_set_progress(ptr, null, null);
    koffi.unregister(callback);
  }
  if (thrown !== null) throw thrown.err;
  return rc;
}
const SEARCH_KEYS = ['ef', 'filter'];

class Index {
  #state;

  /**
   * An empty index that owns its vectors; fill it with add().
   * new Index({ dim, metric, ... }) is Index.create({ dim, metric, ... }).
   */
  constructor(opts, handle) {
    const ptr = opts === ADOPT ? handle : createHandle(opts);
    this.#state = handleState(ptr, C.vdb_close);
    this.#state.rows = null;
    finalizers.register(this, this.#state, this);
  }

  /** An empty index that owns its vectors; fill it with add(). The same as new Index(opts). */
  static create(opts) {
    return new Index(opts);
  }

  /**
   * A saved index, mapped in O(1). opts: { verify, populate, writable, recover, disk }.
   * Read-only unless writable: then it takes add, upsert and delete (its
   * links and ids are copied to memory), each also written to the journal
   * `${path}-journal`; commit() makes them durable, save(path) folds them
   * into the file. One writable open of a file at a time (VDB_EBUSY).
   * Every open applies the journal's committed changes; recover applies
   * the intact commits of a damaged journal instead of refusing it.
   * disk: disk-resident search of an index saved with codes (int8 or pq):
   * the codes stay in memory and each node a search expands is read from
   * the disk; the same ids and distances as the mapped index. Read-only;
   * VDB_EINVAL with writable or populate, or on an index without codes.
   */
  static open(path, opts = {}) {
    if (typeof path !== 'string') throw invalid('path must be a string');
    if (opts === null || typeof opts !== 'object') throw invalid('Index.open options must be an object');
    for (const key of Object.keys(opts)) {
      if (!OPEN_KEYS.includes(key)) throw invalid(`unknown option '${key}' (known: ${OPEN_KEYS.join(', ')})`);
    }
    let flags = K.VDB_OPEN_DEFAULT;
    if (opts.verify) flags |= K.VDB_OPEN_VERIFY;
    if (opts.populate) flags |= K.VDB_OPEN_POPULATE;
    if (opts.writable) flags |= K.VDB_OPEN_WRITABLE;
    if (opts.recover) flags |= K.VDB_OPEN_RECOVER;
    if (opts.disk) flags |= K.VDB_OPEN_DISK;
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
    // A progress callback runs inside add() or build(): the C API forbids a
    // call into the index it reports on.
    if (this.#state.reporting) throw invalid('a progress callback must not use the index it reports on');
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

  /** Vectors in the index, deleted ones not counted. */
  get count() {
    return Number(C.vdb_count(this.#live()));
  }

  /** Deleted vectors the index still holds; the next save() leaves them out. */
  get deleted() {
    return Number(C.vdb_deleted(this.#live()));
  }

  get dim() {
    return C.vdb_dim(this.#live());
  }

  get metric() {
    return METRIC_NAMES.get(C.vdb_metric(this.#live()));
  }

  /** The configuration: { dim, metric, m, efConstruction, efSearch, threads, seed, codes ('int8', 'pq' or null), codeBytes, rerank }. */
  get config() {
    const ptr = this.#live();
    const cfg = newConfig(); // vdb_get_config fills the fields of cfg.version
    check(C.vdb_get_config(ptr, cfg));
    return {
      dim: cfg.dim,
      metric: METRIC_NAMES.get(cfg.metric),
      m: cfg.m,
      efConstruction: cfg.ef_construction,
      efSearch: cfg.ef_search,
      threads: cfg.threads,
      seed: cfg.seed,
      codes: CODES_NAMES.has(cfg.codes) ? CODES_NAMES.get(cfg.codes) : String(cfg.codes),
      codeBytes: cfg.code_bytes,
      rerank: cfg.rerank,
    };
  }

  // Vectors as whole rows of dim floats: { data, n }.
  static #wholeRows(ptr, vectors) {
    const data = floats(vectors, 'vectors');
    const dim = C.vdb_dim(ptr);
    if (data.length % dim !== 0) {
      throw new VdbError(K.VDB_EDIM, `dimension mismatch: index has ${dim}, vectors hold ${data.length} floats (not whole rows)`);
    }
    return { data, n: data.length / dim };
  }

  /**
   * Add vectors (rows of dim floats, one after another); ids is one id per
   * row (a BigUint64Array, an array, or one id for one row), or omitted for
   * the ids after the largest the index holds. All or nothing.
   * opts.progress: (done, total) => boolean, called on this thread with 0,
   * then each hundredth of the way (or 0.1 s), then total; returning true (or throwing)
   * cancels: VDB_ECANCELED (or the error) is thrown and nothing is added.
   */
  add(vectors, ids, opts) {
    const ptr = this.#writable('add');
    const { data, n } = Index.#wholeRows(ptr, vectors);
    const idBuffer = idArray(ids, n);
    const progress = progressOption(opts, 'add');
    if (n === 0) return this; // koffi would pass NULL for the empty array; adding nothing is a no-op
    check(withProgress(ptr, this.#state, progress, () => C.vdb_add(ptr, data, n, idBuffer)));
    return this;
  }

  /**
   * Insert each row under its id, or replace the vector of an id the index
   * holds. ids (required) as in add(); distinct. All or nothing.
   */
  upsert(vectors, ids) {
    const ptr = this.#writable('upsert');
    const { data, n } = Index.#wholeRows(ptr, vectors);
    if (ids === undefined || ids === null) throw invalid('upsert needs ids, one per row');
    const idBuffer = idArray(ids, n);
    if (n === 0) return this;
    check(C.vdb_upsert(ptr, data, n, idBuffer));
    return this;
  }

  /**
   * Delete the vectors of ids: one id, an array of them or a BigUint64Array.
   * All or nothing: an id the index does not hold, or one given twice,
   * throws VDB_ENOTFOUND and deletes none.
   */
  delete(ids) {
    const ptr = this.#writable('delete');
    const list = idList(ids, 'ids', { sets: true });
    if (list.length === 0) return this;
    check(C.vdb_delete(ptr, list, list.length));
    return this;
  }

  /** A copy of the vector of id, a Float32Array(dim); VDB_ENOTFOUND if the index does not hold it. */
  get(id) {
    const ptr = this.#live();
    id = u64(id, 'id');
    const out = new Float32Array(C.vdb_dim(ptr));
    check(C.vdb_get(ptr, id, out));
    return out;
  }

  /** Whether the index holds id (deleted ones are not held). */
  has(id) {
    const ptr = this.#live();
    id = u64(id, 'id');
    const rc = C.vdb_get(ptr, id, new Float32Array(C.vdb_dim(ptr)));
    if (rc === K.VDB_OK) return true;
    if (rc === K.VDB_ENOTFOUND) return false;
    throw failed(rc);
  }

  /**
   * Link rows [first, first + count) of the mapped vector file into the
   * graph; first defaults to 0, count to the rest of the file. opts.progress
   * as in add(); opts.memory bounds the build's memory in bytes, building
   * by partitions when the rows and graph do not fit (vdb_set_build_memory).
   */
  build(first = 0, count, opts) {
    const ptr = this.#writable('build');
    first = u64(first, 'first');
    if (count === undefined) {
      const rows = this.#state.rows;
      count = rows === null ? 0 : Math.max(0, rows - Number(first));
    }
    count = u64(count, 'count');
    const progress = progressOption(opts, 'build', BUILD_KEYS);
    const bounded = opts?.memory !== undefined && opts.memory !== null;
    const memory = bounded ? BigInt(u64(opts.memory, 'memory')) : 0n;
    if (bounded && memory === 0n) throw invalid('memory must be at least 1 byte, or null for no bound');
    check(C.vdb_set_build_memory(ptr, memory));
    check(withProgress(ptr, this.#state, progress, () => C.vdb_build(ptr, first, count)));
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

  // Everything a search needs but its vdb_filter, which acquireFilter makes
  // last, once nothing else can throw.
  #prepare(query, k, opts) {
    const ptr = this.#live();
    const q = floats(query, 'query');
    const dim = C.vdb_dim(ptr);
    if (q.length === 0 || q.length % dim !== 0) {
      throw new VdbError(K.VDB_EDIM, `dimension mismatch: index has ${dim}, query has ${q.length} floats`);
    }
    u32(k, 'k');
    let ef = 0;
    let filter = null;
    if (opts !== undefined) {
      if (opts === null || typeof opts !== 'object') throw invalid('search options must be an object');
      for (const key of Object.keys(opts)) {
        if (!SEARCH_KEYS.includes(key)) throw invalid(`unknown option '${key}' (known: ${SEARCH_KEYS.join(', ')})`);
      }
      if (opts.ef !== undefined) ef = u32(opts.ef, 'ef');
      filter = checkFilterOption(opts.filter);
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
    return { ptr, q, nq, dim, k, ef, filter, ids, distances, found };
  }

  static #result(p, batch) {
    return { ids: p.ids, distances: p.distances, found: batch ? p.found : p.found[0] };
  }

  /**
   * The k nearest neighbours of a query of dim floats: { ids, distances,
   * found } with k slots each (slots past found hold 2^64-1 and Infinity).
   * A query of several rows (a multiple of dim) is a batch: ids and
   * distances hold nq*k slots, query after query, and found is a Uint32Array.
   * opts: { ef, filter }; filter (ids or a Filter) limits the results to
   * those ids.
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
    const filter = acquireFilter(p.filter);
    try {
      if (batch) {
        check(C.vdb_search_batch_filtered(p.ptr, p.q, p.nq, p.k, p.ef, filter.ptr, p.ids, p.distances, p.found));
      } else {
        check(C.vdb_search_filtered(p.ptr, p.q, p.k, p.ef, filter.ptr, p.ids, p.distances, p.found));
      }
    } finally {
      releaseFilter(filter);
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
    let filter;
    try {
      p = this.#prepare(query, k, opts);
      // vdb_last_error() is per thread and the call runs on a worker, so the
      // checks whose detail matters are made here, in the caller's thread.
      if (p.k === 0) throw invalid('k must be at least 1');
      for (let i = 0; i < p.q.length; i++) {
        if (!Number.isFinite(p.q[i])) throw invalid(`query ${Math.floor(i / p.dim)} holds NaN or Inf`);
      }
      filter = acquireFilter(p.filter);
    } catch (err) {
      return Promise.reject(err);
    }
    const state = this.#state;
    const batch = forceBatch || p.nq > 1;
    // The index and a Filter stay alive until the worker is done with them;
    // a filter made for this call is closed then.
    const finish = () => {
      settle(state);
      if (filter.state) settle(filter.state);
      releaseFilter(filter);
    };
    return new Promise((resolve, reject) => {
      const done = (err, rc) => {
        finish();
        if (err) reject(err);
        else if (rc !== K.VDB_OK) {
          reject(new VdbError(rc, `${C.vdb_strerror(rc)} (the call ran on a worker thread, whose vdb_last_error() detail is out of reach)`));
        } else resolve(Index.#result(p, batch));
      };
      state.pending++;
      if (filter.state) filter.state.pending++;
      try {
        if (batch) {
          C.vdb_search_batch_filtered.async(p.ptr, p.q, p.nq, p.k, p.ef, filter.ptr, p.ids, p.distances, p.found, done);
        } else {
          C.vdb_search_filtered.async(p.ptr, p.q, p.k, p.ef, filter.ptr, p.ids, p.distances, p.found, done);
        }
      } catch (err) {
        finish();
        reject(err);
      }
    });
  }

  /**
   * Write the index to one file, atomically; deleted vectors are left out.
   * Saving over the file it was opened from works; for a writable index it
   * is a checkpoint (every change, committed or not, and the journal is
   * emptied). Over a file open writable elsewhere, or whose journal holds
   * changes, it throws VDB_EBUSY.
   */
  save(path) {
    const ptr = this.#live();
    if (typeof path !== 'string') throw invalid('path must be a string');
    check(C.vdb_save(ptr, path));
    return this;
  }

  /**
   * Make the changes since the last commit durable in the journal
   * (`${path}-journal`), with one fsync: every later open of the file has
   * them. Changes neither committed nor saved are lost at close() or a
   * crash. VDB_EREADONLY on an index opened read-only, VDB_EINVAL on one
   * with no file (save it instead).
   */
  commit() {
    check(C.vdb_commit(this.#writable('commit')));
    return this;
  }

  /**
   * Keep up to `bytes` (a number or bigint) of node blocks of an index opened
   * with { disk: true } in memory, top graph levels first; 0 empties the
   * cache. VDB_EINVAL on an index not opened with disk.
   */
  setDiskCache(bytes) {
    const size = u64(bytes, 'bytes');
    check(C.vdb_set_disk_cache(this.#writable('setDiskCache'), size));
    return this;
  }

  /** Worker threads for build, add, upsert, save and batch search; 0 = all cores. */
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
    if (this.#state.reporting) throw invalid('a progress callback must not close the index it reports on');
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
  Filter,
  VdbError,
  verify,
  version: C.vdb_version_string(),
  versionNumber: C.vdb_version_number(),
  constants: K,
  libraryPath,
};
