'use strict';
// A living index, in Node: open a saved index writable, delete, upsert and get
// by id, search with allow-list filters, and save the changes back to the
// same file. Run where require('vdb') resolves (see docs/node.md, Install):
//   node docs/examples/changes.js /tmp/changes.vdb

const vdb = require('vdb');

const DIM = 16;
const COUNT = 1000;
const K = 3;
const file = process.argv[2] || 'changes.vdb';

// A small seeded generator (mulberry32), so every run sees the same data.
let state = 7;
function random() {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const vectors = new Float32Array(COUNT * DIM).map(random);
const row = (i) => vectors.subarray(i * DIM, (i + 1) * DIM);

// A saved index with ids 0 .. 999.
new vdb.Index({ dim: DIM }).add(vectors).save(file).close();

// Reopen it writable: delete two ids, give id 7 the vector of row 500, add id 5000.
let index = vdb.Index.open(file, { writable: true });
index.delete([10, 11]);
index.upsert(row(500), [7]);
index.add(row(900), [5000]);
let missing = false;
try {
  index.get(10);
} catch (err) {
  if (!(err instanceof vdb.VdbError) || err.code !== 'VDB_ENOTFOUND') throw err;
  missing = true;
}
const seven = index.get(7); // a Float32Array(DIM), copied out

// Search near row 500 with and without filters: ids 500 and 7 now hold the same vector.
// A filter is an allow-list of ids: an array (or Set, or BigUint64Array) for one
// search, or a vdb.Filter made once for many. (No predicate functions in Node:
// docs/node.md says why.) searchAsync takes the same { filter }.
const plain = index.search(row(500), K);
const nearestTwo = [...plain.ids.subarray(0, 2)];
const evenIds = Array.from({ length: COUNT / 2 }, (_, i) => 2 * i);
const even = new vdb.Filter(evenIds);
const evenOnly = index.search(row(500), K, { filter: even });
const listed = index.search(row(500), K, { filter: [7, 501, 502] });
even.close();
console.log(
  `${index.count} vectors, ${index.deleted} deleted; id 10 deleted: ${missing ? 'yes' : 'no'}; ` +
    `nearest to row 500: ${plain.ids[0]} ${plain.ids[1]}; even only: ${evenOnly.ids[0]}; listed: ${listed.ids[0]}`,
);
let ok =
  missing &&
  seven[0] === row(500)[0] &&
  index.count === COUNT - 1 &&
  index.deleted === 3 && // 10, 11, and id 7's old vector
  nearestTwo.includes(500n) &&
  nearestTwo.includes(7n) &&
  evenOnly.found === K &&
  evenOnly.ids.every((id) => id % 2n === 0n) &&
  listed.ids[0] === 7n &&
  listed.ids.every((id) => [7n, 501n, 502n].includes(id));

// Save over the file it was opened from; the deleted vectors are left out.
index.save(file);
index.close();
index = vdb.Index.open(file, { verify: true });
ok = ok && index.count === COUNT - 1 && index.deleted === 0 && !index.has(10) && index.get(7)[0] === row(500)[0];
console.log(`after saving: ${index.count} vectors, ${index.deleted} deleted`);
index.close();
console.log(ok ? 'ok: every step gave what it should' : 'MISMATCH');
process.exitCode = ok ? 0 : 1;
