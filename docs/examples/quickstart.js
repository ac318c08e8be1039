'use strict';
// libvdb in one page, in Node: create, add, search, save, open, search again.
// Run where require('vdb') resolves: in your app's folder after
// `npm install /path/to/libvdb/bindings/node` (docs/node.md, Install):  node quickstart.js

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vdb = require('vdb');

const DIM = 32;
const COUNT = 2000;
const K = 5;
const NQ = 10;

// A small seeded generator (mulberry32), so every run sees the same data.
let state = 1;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const vectors = new Float32Array(COUNT * DIM).map(random);
const queries = vectors.subarray(0, NQ * DIM); // stored rows: each must find itself first

const index = vdb.Index.create({ dim: DIM }); // metric 'l2', m 16, efConstruction 200, efSearch 64
index.add(vectors); // ids 0, 1, 2, ...
const before = index.search(queries, K); // NQ queries: NQ*K slots, query after query

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vdb-quickstart-'));
const file = path.join(scratch, 'quickstart.vdb');
let after;
let count;
try {
  index.save(file);
  index.close();
  const opened = vdb.Index.open(file); // read-only, maps the file
  count = opened.count;
  after = opened.search(queries, K);
  opened.close();
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

const nearest = [];
for (let i = 0; i < K; i++) nearest.push(`${before.ids[i]} (${before.distances[i].toFixed(4)})`);
console.log(`libvdb ${vdb.version}: ${count} vectors; nearest to row 0: ${nearest.join(' ')}`);
let same = true;
for (let q = 0; q < NQ; q++) if (before.ids[q * K] !== BigInt(q)) same = false;
for (let i = 0; i < NQ * K; i++) {
  if (before.ids[i] !== after.ids[i] || before.distances[i] !== after.distances[i]) same = false;
}
console.log(same ? 'ok: the reopened index gives the same answer' : 'MISMATCH');
process.exitCode = same ? 0 : 1;
