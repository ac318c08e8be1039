'use strict';

// libvdb called directly through raw ffi-napi, with no binding in between:
// the maintained fork @2060.io/ffi-napi (ffi-napi 4.0.3 does not build on
// Node 20) with its @2060.io/ref-napi and ref-struct-di types.
//
//   npm install --prefix bindings/node/examples
//   node bindings/node/examples/raw-ffi-napi.js [path/to/libvdb.so]
//
// The signatures are not written out here: they are translated from the
// prototypes that tools/gen_bindings.py generated from vdb.h for koffi
// (../lib/ffi.generated.js), so they cannot drift from the header.

const ffi = require('@2060.io/ffi-napi');
const ref = require('@2060.io/ref-napi');
const StructType = require('ref-struct-di')(ref);
const generated = require('../lib/ffi.generated.js');

const voidPtr = ref.refType(ref.types.void);
const SCALARS = {
  void: ref.types.void,
  int: ref.types.int32,
  int32_t: ref.types.int32,
  uint32_t: ref.types.uint32,
  uint64_t: ref.types.uint64,
  size_t: ref.types.size_t,
  float: ref.types.float,
  char: ref.types.char,
};

// struct vdb_config, read from the generated declarations by handing them a
// koffi look-alike that records what they declare.
function generatedStructs() {
  const structs = {};
  generated.declareTypes({
    opaque: (name) => ({ opaque: name }),
    proto: (prototype) => ({ proto: prototype }), // callback types: passed as plain pointers here
    struct: (name, fields) => (structs[name] = fields),
  });
  return structs;
}

const STRUCTS = Object.fromEntries(
  Object.entries(generatedStructs()).map(([name, fields]) => [
    name,
    StructType(Object.fromEntries(Object.entries(fields).map(([field, type]) => [field, SCALARS[type]]))),
  ]),
);

// One C type (as written in a prototype) to a ref-napi type.
function refType(text) {
  const type = text.replace(/\b(const|_Out_|_Inout_)\b/g, '').replace(/\s+/g, ' ').trim();
  const stars = (type.match(/\*/g) || []).length;
  const base = type.replace(/\*/g, '').trim();
  if (base === 'char' && stars === 1) return 'string';
  let t = SCALARS[base] || STRUCTS[base];
  if (!t) {
    if (stars === 0) throw new Error(`raw-ffi-napi: no ref type for ${text}`);
    t = ref.types.void; // an opaque handle (vdb_index, vdb_vectors, vdb_filter) or a callback
  }
  for (let i = 0; i < stars; i++) t = ref.refType(t);
  return t;
}

// 'int vdb_open(_Out_ vdb_index **out, const char *path, uint32_t flags)'
// -> ['int32', [vdb_index **, 'string', 'uint32']]
function signature(prototype) {
  const match = /^(.*?)\b(\w+)\((.*)\)$/.exec(prototype.trim());
  const params = match[3].trim() === '' || match[3].trim() === 'void' ? [] : match[3].split(',');
  return [refType(match[1]), params.map((p) => refType(p.trim().replace(/\w+$/, '')))];
}

function load(libraryPath) {
  const spec = Object.fromEntries(Object.entries(generated.PROTOTYPES).map(([name, p]) => [name, signature(p)]));
  const lib = ffi.Library(libraryPath, spec);
  const running = lib.vdb_version_number();
  if (running !== generated.VERSION) {
    throw new Error(`${libraryPath} is libvdb ${running}, the declarations are for ${generated.VERSION}`);
  }
  return lib;
}

// Build an index of `data` (dim floats per row), search `queries`, and return
// what C returned, as plain JS values.
function run(libraryPath, { dim, data, queries, k, seed = 42 }) {
  const lib = load(libraryPath);
  const K = generated.CONSTANTS;
  const fail = (what, rc) => {
    const err = new Error(`${what}: ${lib.vdb_last_error()}`);
    err.errno = rc;
    return err;
  };

  const cfg = new STRUCTS.vdb_config();
  lib.vdb_config_init(cfg.ref(), K.VDB_CONFIG_VERSION);
  cfg.dim = dim;
  cfg.threads = 1;
  cfg.seed = seed;

  const out = ref.alloc(voidPtr); // vdb_index **
  let rc = lib.vdb_create(out, cfg.ref());
  if (rc !== K.VDB_OK) throw fail('vdb_create', rc);
  const index = out.deref();
  try {
    const vectors = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    rc = lib.vdb_add(index, vectors, data.length / dim, null);
    if (rc !== K.VDB_OK) throw fail('vdb_add', rc);

    const results = [];
    const ids = Buffer.alloc(k * 8);
    const distances = Buffer.alloc(k * 4);
    const found = Buffer.alloc(4);
    for (let q = 0; q < queries.length / dim; q++) {
      const query = Buffer.from(queries.buffer, queries.byteOffset + q * dim * 4, dim * 4);
      rc = lib.vdb_search(index, query, k, 0, ids, distances, found);
      if (rc !== K.VDB_OK) throw fail('vdb_search', rc);
      const n = found.readUInt32LE(0);
      results.push({
        ids: Array.from({ length: n }, (_, i) => ids.readBigUInt64LE(i * 8)),
        distances: Array.from({ length: n }, (_, i) => distances.readFloatLE(i * 4)),
      });
    }

    // An error, the C way: a code, and the thread's detail message.
    rc = lib.vdb_search(index, Buffer.from(queries.buffer, queries.byteOffset, dim * 4), 0, 0, ids, distances, found);
    const error = { rc, message: lib.vdb_last_error(), name: lib.vdb_strerror(rc) };

    return { version: lib.vdb_version_string(), count: Number(lib.vdb_count(index)), results, error };
  } finally {
    lib.vdb_close(index);
  }
}

module.exports = { run, load, signature };

if (require.main === module) {
  const libraryPath = process.argv[2] || process.env.VDB_LIBRARY || require('../lib/paths.js').SONAME;
  const dim = 8;
  const data = new Float32Array(100 * dim).map((_, i) => Math.sin(i * 0.37));
  const queries = data.slice(5 * dim, 7 * dim);
  const out = run(libraryPath, { dim, data, queries, k: 3 });
  console.log(`libvdb ${out.version} via ffi-napi: ${out.count} vectors`);
  out.results.forEach((r, q) => console.log(`query ${q}: ids ${r.ids.join(' ')}  distances ${r.distances.map((d) => d.toFixed(4)).join(' ')}`));
  console.log(`k = 0 gives ${out.error.rc} (${out.error.name}): ${out.error.message}`);
}
