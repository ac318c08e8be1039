'use strict';

// build(first, count, { memory }): a file larger than the bound is built by
// partitions, with recall against exact brute force like a build without a
// bound; a bound too small is refused with the least that would do.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const { Index } = require('..');
const { clusteredVectors, bruteForce, scratchDir, throwsCode } = require('./helpers.js');

const DIM = 32;
const N = 20000;
const K = 10;
const BOUND = 4 * 2 ** 20; // the rows are 2.4 MiB and their graph about 3: partitions
const data = clusteredVectors(N, DIM, 21, { clusters: 64 });

function mapped(file) {
  return Index.mapVectors(file, { dim: DIM, m: 12, efConstruction: 64 });
}

function recall(index, queries) {
  let hits = 0;
  for (const query of queries) {
    const truth = new Set(bruteForce(data, DIM, query, K));
    for (const id of index.search(query, K, { ef: 32 }).ids) if (truth.has(Number(id))) hits++;
  }
  return hits / (queries.length * K);
}

test('a bounded build finds what an unbounded one does', () => {
  const scratch = scratchDir();
  const file = scratch.file('rows.f32');
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const queries = [];
  for (let q = 0; q < 60; q++) queries.push(data.slice(q * 331 * DIM, (q * 331 + 1) * DIM).map((x) => x + 0.05));
  const whole = mapped(file).build();
  const parts = mapped(file).build(0, N, { memory: BOUND });
  assert.equal(parts.count, N);
  const unbounded = recall(whole, queries), bounded = recall(parts, queries);
  console.log(`# recall@${K} at ef 32: ${bounded.toFixed(3)} in ${BOUND >> 20} MiB, ${unbounded.toFixed(3)} without a bound`);
  assert.ok(bounded >= 0.95 && bounded >= unbounded - 0.03, `${bounded} against ${unbounded}`);
  whole.close();
  parts.close();
  scratch.remove();
});

test('a bound too small is refused with the least that would do', () => {
  const scratch = scratchDir();
  const file = scratch.file('rows.f32');
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const index = mapped(file);
  throwsCode(() => index.build(0, N, { memory: 2 ** 20 }), 'VDB_EINVAL', /give at least/);
  assert.equal(index.count, 0);
  throwsCode(() => index.build(0, N, { memory: 0 }), 'VDB_EINVAL', /at least 1 byte/);
  throwsCode(() => index.build(0, N, { memory: -1 }), 'VDB_EINVAL');
  throwsCode(() => index.build(0, N, { memry: BOUND }), 'VDB_EINVAL', /unknown option 'memry'/);
  index.build(0, N, { memory: BigInt(BOUND) });
  assert.equal(index.count, N);
  index.close();
  scratch.remove();
});
