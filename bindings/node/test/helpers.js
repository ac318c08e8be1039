'use strict';

// Shared by the tests: seeded data, exact (brute-force) neighbours, and the check of a thrown libvdb error.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');

const vdb = require('..');

// A seeded generator (mulberry32): the same data on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomVectors(n, dim, seed) {
  const next = rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = next() * 2 - 1;
  return out;
}

// n points around `clusters` centres in [-1, 1)^dim, each coordinate off its
// centre by a uniform amount in [-spread, spread): data with neighbourhoods,
// as embeddings have. The same seed gives the same centres.
function clusteredVectors(n, dim, seed, { clusters = 20, spread = 0.3, centresSeed = seed } = {}) {
  const centres = randomVectors(clusters, dim, centresSeed);
  const next = rng(seed + 1);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(next() * clusters);
    for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j] + (next() * 2 - 1) * spread;
  }
  return out;
}

// The k nearest rows of data to query by squared L2, as row numbers; only
// the rows in `among` (an iterable of row numbers) when it is given.
function bruteForce(data, dim, query, k, among) {
  const rows = among ? [...among] : Array.from({ length: data.length / dim }, (_, i) => i);
  const scored = rows.map((i) => {
    let d = 0;
    for (let j = 0; j < dim; j++) {
      const diff = data[i * dim + j] - query[j];
      d += diff * diff;
    }
    return [i, d];
  });
  scored.sort((a, b) => a[1] - b[1]);
  return scored.slice(0, k).map(([i]) => i);
}

function scratchDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vdb-node-test-'));
  return { dir, file: (name) => path.join(dir, name), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// fn throws libvdb's error for `code` (a name such as 'VDB_EINVAL'), whole and consistent, its detail matching pattern.
function throwsCode(fn, code, pattern) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof vdb.VdbError, `not a VdbError: ${err}`);
    assert.ok(err instanceof Error);
    assert.equal(err.code, code, err.message);
    assert.equal(err.errno, vdb.constants[code]);
    assert.equal(err.message, `${code}: ${err.detail}`);
    if (pattern) assert.match(err.detail, pattern);
    return true;
  });
}

module.exports = { rng, randomVectors, clusteredVectors, bruteForce, scratchDir, throwsCode };
