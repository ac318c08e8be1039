'use strict';

// Indexes with int8 and pq codes: recall and exact distances against brute
// force, codes, codeBytes and rerank kept by save and open, and bad settings
// refused.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const vdb = require('..');
const { Index } = vdb;
const { clusteredVectors, bruteForce, scratchDir, throwsCode } = require('./helpers.js');

const DIM = 32;
const N = 3000; // over the 1024 vectors codes are trained at
const NQ = 40;
const K = 10;
const data = clusteredVectors(N, DIM, 11);
const queries = clusteredVectors(NQ, DIM, 12, { centresSeed: 11 }); // around the same centres
const query = (q) => queries.subarray(q * DIM, (q + 1) * DIM);

function l2(a, row) {
  let d = 0;
  for (let j = 0; j < DIM; j++) {
    const diff = data[row * DIM + j] - a[j];
    d += diff * diff;
  }
  return d;
}


let scratch;
let index;
test.before(() => {
  scratch = scratchDir();
  index = Index.create({ dim: DIM, codes: 'int8', rerank: 30, threads: 2, seed: 5 });
  index.add(data);
});
test.after(() => {
  index.close();
  scratch.remove();
});

test('config reports codes and rerank', () => {
  assert.equal(index.config.codes, 'int8');
  assert.equal(index.config.rerank, 30);
  const plain = Index.create({ dim: 4 });
  assert.equal(plain.config.codes, null);
  assert.equal(plain.config.rerank, 0);
  plain.close();
  for (const codes of ['none', null, vdb.constants.VDB_CODES_NONE]) {
    const none = Index.create({ dim: 4, codes });
    assert.equal(none.config.codes, null, String(codes));
    none.close();
  }
  const byNumber = Index.create({ dim: 4, codes: vdb.constants.VDB_CODES_INT8 });
  assert.equal(byNumber.config.codes, 'int8');
  byNumber.close();
});

test('int8: recall@10 against brute force, and exact distances', () => {
  let hits = 0;
  for (let q = 0; q < NQ; q++) {
    const { ids, distances, found } = index.search(query(q), K, { ef: 128 });
    assert.equal(found, K);
    const truth = new Set(bruteForce(data, DIM, query(q), K));
    for (let i = 0; i < K; i++) {
      if (truth.has(Number(ids[i]))) hits++;
      // The rerank measures results with the float32 rows: the exact distance, not the code's.
      const want = l2(query(q), Number(ids[i]));
      assert.ok(Math.abs(distances[i] - want) <= 1e-4 * Math.max(1, want), `query ${q} result ${i}: ${distances[i]} vs ${want}`);
      if (i > 0) assert.ok(distances[i] >= distances[i - 1]);
    }
  }
  const recall = hits / (NQ * K);
  assert.ok(recall >= 0.95, `recall@10 ${recall}`);
});

test('save and open keep codes, rerank and the answers', () => {
  const file = scratch.file('coded.vdbi');
  index.save(file);
  vdb.verify(file);
  const opened = Index.open(file);
  assert.equal(opened.config.codes, 'int8');
  assert.equal(opened.config.rerank, 30);
  assert.deepEqual(opened.search(queries, K, { ef: 64 }), index.search(queries, K, { ef: 64 }));
  opened.close();
});

test('mapVectors with codes', () => {
  const file = scratch.file('vectors.f32');
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const mapped = Index.mapVectors(file, { dim: DIM, codes: 'int8', rerank: 20, threads: 2 });
  assert.equal(mapped.config.codes, 'int8');
  assert.equal(mapped.config.rerank, 20);
  mapped.build();
  const truth = new Set(bruteForce(data, DIM, query(0), K));
  const { ids } = mapped.search(query(0), K, { ef: 128 });
  assert.ok([...ids].filter((id) => truth.has(Number(id))).length >= 9);
  mapped.close();
});

test('pq: recall@10 against brute force, exact distances, codeBytes kept by save and open', () => {
  const n = 5000; // pq trains at 4096
  const rows = clusteredVectors(n, DIM, 21, { centresSeed: 11 }); // around the queries' centres
  const pq = Index.create({ dim: DIM, codes: 'pq', codeBytes: 16, threads: 2, seed: 5 });
  assert.equal(pq.config.codes, 'pq');
  assert.equal(pq.config.codeBytes, 16);
  pq.add(rows);
  let hits = 0;
  for (let q = 0; q < NQ; q++) {
    const { ids, distances } = pq.search(query(q), K, { ef: 128 });
    const truth = new Set(bruteForce(rows, DIM, query(q), K));
    for (let i = 0; i < K; i++) {
      if (truth.has(Number(ids[i]))) hits++;
      let want = 0;
      for (let j = 0; j < DIM; j++) want += (rows[Number(ids[i]) * DIM + j] - query(q)[j]) ** 2;
      assert.ok(Math.abs(distances[i] - want) <= 1e-4 * Math.max(1, want), `query ${q} result ${i}`);
    }
  }
  assert.ok(hits / (NQ * K) >= 0.95, `pq recall@10 ${hits / (NQ * K)}`);
  const file = scratch.file('pq.vdbi');
  pq.save(file);
  const opened = Index.open(file);
  assert.equal(opened.config.codes, 'pq');
  assert.equal(opened.config.codeBytes, 16);
  assert.deepEqual(opened.search(queries, K, { ef: 64 }), pq.search(queries, K, { ef: 64 }));
  opened.close();
  pq.close();
  const chosen = Index.create({ dim: DIM, codes: 'pq' });
  assert.equal(chosen.config.codeBytes, DIM / 8, '0 chooses dim / 8');
  chosen.close();
});

test('bad codes, codeBytes and rerank are refused', () => {
  for (const codes of ['int4', 'INT8', '', 3, -1, true, ['int8'], {}]) {
    throwsCode(() => Index.create({ dim: 4, codes }), 'VDB_EINVAL', /codes must be 'none', 'int8', 'pq' or null/);
    throwsCode(() => Index.mapVectors(scratch.file('none.f32'), { dim: 4, codes }), 'VDB_EINVAL', /codes must be/);
  }
  throwsCode(() => Index.create({ dim: 4, codes: 'int4' }), 'VDB_EINVAL', /not 'int4'/);
  for (const rerank of [-1, 1.5, '8', 2 ** 32]) {
    throwsCode(() => Index.create({ dim: 4, codes: 'int8', rerank }), 'VDB_EINVAL', /rerank/);
  }
  throwsCode(() => Index.create({ dim: 4, codes: 'int8', rerank: 65537 }), 'VDB_EINVAL', /rerank 65537 is over 65536/);
  throwsCode(() => Index.create({ dim: 16, codes: 'int8', codeBytes: 4 }), 'VDB_EINVAL', /code_bytes 4 is for VDB_CODES_PQ only/);
  throwsCode(() => Index.create({ dim: 16, codes: 'pq', codeBytes: 17 }), 'VDB_EINVAL', /more than the dimension 16/);
  throwsCode(() => Index.create({ dim: 16, codes: 'pq', codeBytes: -1 }), 'VDB_EINVAL', /codeBytes/);
});
