'use strict';

// examples/raw-ffi-napi.js calls libvdb.so through raw ffi-napi (the fork
// @2060.io/ffi-napi); its answers must equal the koffi binding's.
// Needs `npm install --prefix bindings/node/examples` (tests/run-bindings.sh
// runs it). When the addon does not load, these tests fail; to skip them on
// purpose (a machine where node-gyp cannot build it), set VDB_SKIP_FFI_NAPI=1.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { createRequire } = require('node:module');

const vdb = require('..');
const { randomVectors } = require('./helpers.js');

const EXAMPLES = path.join(__dirname, '..', 'examples');

// Why the example cannot run, or null.
function unusable() {
  try {
    const requireFromExamples = createRequire(path.join(EXAMPLES, 'package.json'));
    requireFromExamples('@2060.io/ffi-napi');
    requireFromExamples('@2060.io/ref-napi');
    requireFromExamples('ref-struct-di');
    return null;
  } catch (err) {
    return `@2060.io/ffi-napi does not load (install it with: npm install --prefix bindings/node/examples): ${err.message.split('\n')[0]}`;
  }
}

const why = unusable();
const skip = process.env.VDB_SKIP_FFI_NAPI === '1' && `VDB_SKIP_FFI_NAPI=1${why ? `; ${why}` : ''}`;
if (skip) process.stderr.write(`raw-ffi-napi.test.js: skipped: ${skip}\n`);

// The example module; a test that cannot load it fails and says why.
function example() {
  if (why) assert.fail(`${why}. To skip these tests on purpose, set VDB_SKIP_FFI_NAPI=1.`);
  return require('../examples/raw-ffi-napi.js');
}

test('raw ffi-napi calls return what the koffi binding returns', { skip }, () => {
  const { run } = example();
  const dim = 24;
  const data = randomVectors(800, dim, 11);
  const queries = randomVectors(10, dim, 12);
  const k = 7;
  const raw = run(vdb.libraryPath, { dim, data, queries, k, seed: 5 });
  assert.equal(raw.version, vdb.version);
  assert.equal(raw.count, 800);

  const index = vdb.Index.create({ dim, threads: 1, seed: 5 });
  index.add(data);
  for (let q = 0; q < 10; q++) {
    const { ids, distances, found } = index.search(queries.subarray(q * dim, (q + 1) * dim), k);
    assert.deepEqual(raw.results[q].ids, [...ids.subarray(0, found)]);
    assert.deepEqual(raw.results[q].distances, [...distances.subarray(0, found)]);
  }
  index.close();

  assert.equal(raw.error.rc, vdb.constants.VDB_EINVAL);
  assert.match(raw.error.message, /k must be at least 1/);
});

test('signatures come from the generated prototypes', { skip }, () => {
  const { signature } = example();
  const [ret, params] = signature('int vdb_open(_Out_ vdb_index **out, const char *path, uint32_t flags)');
  assert.equal(ret.name, 'int32');
  assert.equal(params.length, 3);
  assert.equal(params[1], 'string');
  assert.equal(params[0].indirection, 3); // vdb_index ** (void is 1)
});
