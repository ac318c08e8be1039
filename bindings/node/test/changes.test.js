'use strict';

// A living index: delete, upsert, get, has, filtered search (sync, batch and
// async), writable open and save in place, and the errors of each.

const test = require('node:test');
const assert = require('node:assert/strict');

const vdb = require('..');
const { Index, Filter, VdbError, verify } = vdb;
const { rng, randomVectors, bruteForce, scratchDir, throwsCode } = require('./helpers.js');

const DIM = 24;
const N = 2000;
const K = 10;
const NQ = 30;
const data = randomVectors(N, DIM, 21);
const queries = randomVectors(NQ, DIM, 22);
const row = (i) => data.subarray(i * DIM, (i + 1) * DIM);
const query = (q) => queries.subarray(q * DIM, (q + 1) * DIM);
const NONE = (1n << 64n) - 1n;

let scratch;
let base; // ids 0 .. N-1, never changed: the filter tests search it
test.before(() => {
  scratch = scratchDir();
  base = new Index({ dim: DIM, threads: 2, seed: 3 }).add(data);
});
test.after(() => {
  base.close();
  scratch.remove();
});

// A fresh index of the first n rows, ids 0 .. n-1.
function fresh(n = 200) {
  return new Index({ dim: DIM, threads: 1, seed: 5 }).add(data.subarray(0, n * DIM));
}


async function rejectsCode(promise, code, pattern) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof VdbError, `not a VdbError: ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.detail, pattern);
    return true;
  });
}

// Every id of a result's first `found` slots, as numbers.
const idsOf = (ids, found) => [...ids.subarray(0, found)].map(Number);

// `count` distinct ids of 0 .. N-1, drawn with a seed.
function sample(count, seed) {
  const next = rng(seed);
  const picked = new Set();
  while (picked.size < count) picked.add(Math.floor(next() * N));
  return [...picked];
}

test('VDB_ENOTFOUND is a code of its own', () => {
  assert.equal(vdb.constants.VDB_ENOTFOUND, -10);
  assert.equal(vdb.constants.VDB_OPEN_WRITABLE, 4);
});

test('delete takes one id, an array, a Set or a BigUint64Array, and count and deleted follow', () => {
  const index = fresh();
  assert.equal(index.count, 200);
  assert.equal(index.deleted, 0);
  assert.equal(index.delete(3), index, 'delete returns the index');
  index.delete(4n);
  index.delete([5, 6n]);
  index.delete(new Set([7]));
  index.delete(new BigUint64Array([8n, 9n]));
  index.delete([]); // nothing to delete: a no-op
  assert.equal(index.count, 193);
  assert.equal(index.deleted, 7);
  for (let id = 3; id <= 9; id++) {
    assert.equal(index.has(id), false, `id ${id}`);
    throwsCode(() => index.get(id), 'VDB_ENOTFOUND', new RegExp(`id ${id} is not in the index`));
  }
  assert.equal(index.has(2), true);
  // A deleted vector is never found, even by its own vector.
  const { ids, found } = index.search(row(5), K, { ef: 200 });
  assert.equal(found, K);
  assert.ok(!idsOf(ids, found).some((id) => id >= 3 && id <= 9), `found ${idsOf(ids, found)}`);
  // A deleted id may be used again.
  index.add(row(5), [5]);
  assert.equal(index.search(row(5), 1).ids[0], 5n);
  assert.equal(index.count, 194);
  index.close();
});

test('delete is all or nothing: an absent or repeated id deletes none', () => {
  const index = fresh();
  throwsCode(() => index.delete([1, 2, 999]), 'VDB_ENOTFOUND', /999/);
  throwsCode(() => index.delete([1, 2, 1]), 'VDB_ENOTFOUND', /id 1 appears twice/);
  throwsCode(() => index.delete(12345n), 'VDB_ENOTFOUND', /12345/);
  assert.equal(index.count, 200);
  assert.equal(index.deleted, 0);
  assert.equal(index.has(1) && index.has(2), true);
  index.delete(1);
  throwsCode(() => index.delete(1), 'VDB_ENOTFOUND', /id 1 .*not in the index/);
  throwsCode(() => index.delete(-1), 'VDB_EINVAL');
  throwsCode(() => index.delete(1.5), 'VDB_EINVAL');
  throwsCode(() => index.delete(2 ** 53), 'VDB_EINVAL', /bigint/);
  throwsCode(() => index.delete('2'), 'VDB_EINVAL', /ids must be an id, an array of ids/);
  throwsCode(() => index.delete(), 'VDB_EINVAL', /not undefined/);
  throwsCode(() => index.delete([2, 'x']), 'VDB_EINVAL', /ids\[1\]/);
  assert.equal(index.count, 199);
  index.close();
});

test('upsert replaces the vector of a held id and inserts a new one', () => {
  const index = fresh();
  // Id 7 gets row 500's vector; id 1000 is new (row 600's); one call, all or nothing.
  const rows = new Float32Array(2 * DIM);
  rows.set(row(500), 0);
  rows.set(row(600), DIM);
  assert.equal(index.upsert(rows, [7, 1000n]), index, 'upsert returns the index');
  assert.equal(index.count, 201);
  assert.equal(index.deleted, 1, "id 7's old vector is deleted");
  assert.deepEqual(index.get(7), Float32Array.from(row(500)));
  assert.deepEqual(index.get(1000), Float32Array.from(row(600)));
  assert.equal(index.search(row(500), 1).ids[0], 7n);
  assert.equal(index.search(row(600), 1).ids[0], 1000n);
  // Its old vector is gone: row 7's nearest is no longer id 7 at distance 0.
  const near = index.search(row(7), 1);
  assert.ok(near.ids[0] !== 7n || near.distances[0] > 0);
  // One row, one id (a number or bigint), and plain arrays.
  index.upsert([...row(9)], 7n);
  assert.deepEqual(index.get(7), Float32Array.from(row(9)));
  index.upsert(new Float32Array(0), []); // nothing: a no-op
  assert.equal(index.count, 201);
  index.close();
});

test('upsert needs ids, distinct and one per row; a failed upsert changes nothing', () => {
  const index = fresh();
  const two = data.subarray(300 * DIM, 302 * DIM);
  throwsCode(() => index.upsert(two), 'VDB_EINVAL', /upsert needs ids/);
  throwsCode(() => index.upsert(two, null), 'VDB_EINVAL', /upsert needs ids/);
  throwsCode(() => index.upsert(two, [1]), 'VDB_EINVAL', /1 ids given for 2 vectors/);
  throwsCode(() => index.upsert(two, [1, 1]), 'VDB_EINVAL', /id 1 appears twice/);
  throwsCode(() => index.upsert(two, [1, NONE]), 'VDB_EINVAL');
  throwsCode(() => index.upsert(new Float32Array(DIM + 1), [1]), 'VDB_EDIM');
  const nan = Float32Array.from(row(0));
  nan[3] = NaN;
  throwsCode(() => index.upsert(nan, [0]), 'VDB_EINVAL', /NaN/);
  assert.equal(index.count, 200);
  assert.equal(index.deleted, 0);
  assert.deepEqual(index.get(1), Float32Array.from(row(1)));
  index.close();
});

test('get copies a vector out; has says whether an id is held', () => {
  const vector = base.get(42);
  assert.ok(vector instanceof Float32Array);
  assert.equal(vector.length, DIM);
  assert.deepEqual(vector, Float32Array.from(row(42)));
  vector[0] = 1234;
  assert.deepEqual(base.get(42), Float32Array.from(row(42)), 'a copy: changing it changes nothing');
  assert.deepEqual(base.get(42n), Float32Array.from(row(42)));
  assert.equal(base.has(0), true);
  assert.equal(base.has(N - 1), true);
  assert.equal(base.has(N), false);
  assert.equal(base.has(NONE), false);
  throwsCode(() => base.get(N), 'VDB_ENOTFOUND', new RegExp(`id ${N} is not in the index`));
  throwsCode(() => base.get(NONE), 'VDB_ENOTFOUND');
  for (const bad of [-1, 1.5, '3', null, undefined, 2 ** 53, 1n << 64n]) {
    throwsCode(() => base.get(bad), 'VDB_EINVAL');
    throwsCode(() => base.has(bad), 'VDB_EINVAL');
  }
});

test('a writable open takes add, upsert and delete; save in place keeps them', () => {
  const file = scratch.file('living.vdb');
  fresh(1000).save(file).close();

  const index = Index.open(file, { writable: true });
  assert.equal(index.count, 1000);
  index.delete([10, 11]);
  index.upsert(row(1500), 7);
  index.add(row(1600), [5000]);
  index.add(data.subarray(1700 * DIM, 1702 * DIM)); // ids after the largest held: 5001, 5002
  assert.equal(index.count, 1000 - 2 + 1 + 2, 'an upsert of a held id replaces it');
  assert.equal(index.deleted, 3, "10, 11 and id 7's old vector");
  assert.deepEqual(index.get(7), Float32Array.from(row(1500)));
  assert.deepEqual(index.get(5002), Float32Array.from(row(1701)));
  assert.equal(index.has(10), false);
  const before = index.search(queries, K, { ef: 100 });
  for (const id of before.ids) assert.ok(id !== 10n && id !== 11n);

  index.save(file); // over the file it was opened from
  assert.equal(verify(file), true);
  // The writable index keeps working on what it opened.
  assert.equal(index.count, 1001);
  assert.deepEqual(index.get(7), Float32Array.from(row(1500)));
  index.close();

  const reopened = Index.open(file, { verify: true });
  assert.equal(reopened.count, 1001);
  assert.equal(reopened.deleted, 0, 'the saved file carries no deleted vectors');
  assert.equal(reopened.has(10) || reopened.has(11), false);
  assert.deepEqual(reopened.get(7), Float32Array.from(row(1500)));
  assert.deepEqual(reopened.get(5000), Float32Array.from(row(1600)));
  assert.deepEqual(reopened.get(5001), Float32Array.from(row(1700)));
  assert.equal(reopened.search(row(1500), 1).ids[0], 7n);
  assert.deepEqual(reopened.search(queries, K, { ef: 100 }).ids, before.ids);
  reopened.close();

  // Writable again, then read-only: a second round of changes.
  const again = Index.open(file, { writable: true, populate: true });
  again.delete(5000).save(file).close();
  const last = Index.open(file);
  assert.equal(last.count, 1000);
  assert.equal(last.has(5000), false);
  last.close();
});

test('a read-only index refuses changes, saying to open it writable', () => {
  const file = scratch.file('readonly.vdb');
  fresh(100).save(file).close();
  for (const opts of [undefined, {}, { writable: false }, { verify: true }]) {
    const index = Index.open(file, opts);
    throwsCode(() => index.add(row(0), [500]), 'VDB_EREADONLY', /open it with VDB_OPEN_WRITABLE/);
    throwsCode(() => index.upsert(row(0), [1]), 'VDB_EREADONLY', /vdb_upsert: .*read-only.*VDB_OPEN_WRITABLE/);
    throwsCode(() => index.delete(1), 'VDB_EREADONLY', /vdb_delete: .*read-only.*VDB_OPEN_WRITABLE/);
    assert.equal(index.count, 100);
    assert.equal(index.has(1), true);
    assert.deepEqual(index.get(1), Float32Array.from(row(1)));
    index.close();
  }
  throwsCode(() => Index.open(file, { writeable: true }), 'VDB_EINVAL', /unknown option 'writeable' \(known: verify, populate, writable, recover, disk\)/);
});

test('an index over a mapped vector file takes delete, not add or upsert', () => {
  const file = scratch.file('rows.f32');
  require('node:fs').writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, 300 * DIM * 4));
  const mapped = Index.mapVectors(file, { dim: DIM, threads: 1 }).build();
  mapped.delete([0, 1]);
  assert.equal(mapped.count, 298);
  assert.equal(mapped.deleted, 2);
  throwsCode(() => mapped.upsert(row(0), [0]), 'VDB_EREADONLY');
  throwsCode(() => mapped.add(row(0), [0]), 'VDB_EREADONLY');
  mapped.build(0, 1); // a deleted row can be built again
  assert.equal(mapped.has(0), true);
  mapped.close();
});

test('filtered search: recall among the allowed ids, never a disallowed one', () => {
  // libvdb walks the graph when many ids are allowed and scans the allowed
  // ones exactly when few are (its cost model, at efSearch 64 and 2000
  // vectors, walks the graph from about 1,110 allowed ids up): both ways are
  // measured here.
  for (const [allowedCount, seed] of [[1900, 30], [1500, 31], [1200, 35], [1000, 36], [200, 32], [40, 33], [5, 34]]) {
    const allowed = sample(allowedCount, seed);
    const allowedSet = new Set(allowed);
    const filter = new Filter(allowed);
    // The index's own ef (efSearch 64), one query at a time and as a batch.
    const batch = base.searchBatch(queries, K, { filter });
    let hits = 0;
    for (let q = 0; q < NQ; q++) {
      const { ids, distances, found } = base.search(query(q), K, { filter });
      assert.equal(found, Math.min(K, allowedCount));
      for (let i = 1; i < found; i++) assert.ok(distances[i] >= distances[i - 1]);
      for (const id of ids.subarray(0, found)) assert.ok(allowedSet.has(Number(id)), `id ${id} is not allowed`);
      for (const id of ids.subarray(found)) assert.equal(id, NONE);
      assert.deepEqual(batch.ids.subarray(q * K, (q + 1) * K), ids);
      const truth = new Set(bruteForce(data, DIM, query(q), K, allowed));
      for (const id of ids) if (truth.has(Number(id))) hits++;
    }
    filter.close();
    const recall = hits / (NQ * Math.min(K, allowedCount));
    console.log(`# filtered recall@${K} with ${allowedCount} of ${N} ids allowed: ${recall.toFixed(3)}`);
    assert.ok(recall >= 0.95, `recall ${recall} with ${allowedCount} allowed`);
  }
});

test('a filter may be an array, a Set, a BigUint64Array or a Filter: the same answers', () => {
  const allowed = sample(300, 41);
  const want = base.search(queries, K, { ef: 80, filter: allowed });
  const filter = new Filter(new BigUint64Array(allowed.map(BigInt)));
  for (const form of [allowed.map(BigInt), new Set(allowed), BigUint64Array.from(allowed.map(BigInt)), filter, new Filter(new Set(allowed))]) {
    assert.deepEqual(base.search(queries, K, { ef: 80, filter: form }), want);
  }
  // A batch is a loop of single searches; searchBatch is the batch path for one.
  for (let q = 0; q < NQ; q++) {
    const one = base.search(query(q), K, { ef: 80, filter });
    assert.deepEqual(want.ids.subarray(q * K, (q + 1) * K), one.ids);
    assert.deepEqual(want.distances.subarray(q * K, (q + 1) * K), one.distances);
    assert.equal(want.found[q], one.found);
  }
  const batchOfOne = base.searchBatch(query(0), K, { ef: 80, filter });
  assert.deepEqual(batchOfOne.ids, base.search(query(0), K, { ef: 80, filter }).ids);
  assert.ok(batchOfOne.found instanceof Uint32Array);
  filter.close();
});

test('a filter of few ids gives exactly those, nearest first; ids not held are ignored', () => {
  const { ids, distances, found } = base.search(row(100), K, { filter: [7, 100, 1999, 5000, 12345678901234567890n] });
  assert.equal(found, 3);
  assert.deepEqual(idsOf(ids, found).sort((a, b) => a - b), [7, 100, 1999]);
  assert.equal(ids[0], 100n);
  assert.equal(distances[0], 0);
  assert.equal(ids[3], NONE);
  assert.equal(distances[3], Infinity);
  // An empty list allows nothing.
  for (const filter of [[], new Set(), new BigUint64Array(0)]) {
    const none = base.search(row(1), K, { filter });
    assert.equal(none.found, 0);
    assert.ok(none.ids.every((id) => id === NONE));
  }
  const empty = new Filter([]);
  assert.deepEqual([...base.searchBatch(queries, 3, { filter: empty }).found], new Array(NQ).fill(0));
  empty.close();
});

test('deleted ids are never returned, even when the filter allows them', () => {
  const index = fresh(300);
  const allowed = [1, 2, 3, 4, 5, 6];
  index.delete([2, 4]);
  const { ids, found } = index.search(row(2), K, { filter: allowed });
  assert.equal(found, 4);
  assert.deepEqual(idsOf(ids, found).sort((a, b) => a - b), [1, 3, 5, 6]);
  index.close();
});

test('bad filter arguments throw VDB_EINVAL and search nothing', async () => {
  const closed = new Filter([1, 2]);
  closed.close();
  closed.close(); // twice is harmless
  assert.equal(closed.closed, true);
  const cases = [
    [5, /filter must be an array of ids, a Set of ids, a BigUint64Array or a vdb\.Filter, not a number/],
    [7n, /not a bigint/],
    ['1,2', /not a string/],
    [{ ids: [1] }, /not an object/],
    [new Uint32Array([1, 2]), /not a Uint32Array/],
    [[1, -2], /filter\[1\] must be a non-negative integer/],
    [[1, 2.5], /filter\[1\]/],
    [[2 ** 53], /bigint beyond 2\^53/],
    [[1n << 64n], /filter\[0\] must be in 0\.\.2\^64-1/],
    [[1, '2'], /filter\[1\]/],
    [closed, /the filter is closed/],
  ];
  for (const [filter, pattern] of cases) {
    throwsCode(() => base.search(query(0), K, { filter }), 'VDB_EINVAL', pattern);
    throwsCode(() => base.searchBatch(queries, K, { filter }), 'VDB_EINVAL', pattern);
    await rejectsCode(base.searchAsync(query(0), K, { filter }), 'VDB_EINVAL', pattern);
    await rejectsCode(base.searchBatchAsync(queries, K, { filter }), 'VDB_EINVAL', pattern);
  }
  throwsCode(() => base.search(query(0), K, { filters: [1] }), 'VDB_EINVAL', /unknown option 'filters' \(known: ef, filter\)/);
  // null and undefined mean no filter.
  assert.deepEqual(base.search(query(0), K, { filter: null }), base.search(query(0), K));
  assert.deepEqual(base.search(query(0), K, { filter: undefined }), base.search(query(0), K));

  throwsCode(() => new Filter(), 'VDB_EINVAL', /Filter ids must be an array of ids, a Set of ids or a BigUint64Array, not undefined/);
  throwsCode(() => new Filter(3), 'VDB_EINVAL', /not a number/);
  throwsCode(() => new Filter([0, -1]), 'VDB_EINVAL', /Filter ids\[1\]/);
  assert.throws(() => Filter([1]), TypeError); // a class needs new
});

test('async filtered search gives what sync gives, single and batch', async () => {
  const allowed = sample(150, 51);
  const filter = new Filter(allowed);
  for (const form of [allowed, filter]) {
    for (let q = 0; q < 5; q++) {
      assert.deepEqual(await base.searchAsync(query(q), K, { ef: 90, filter: form }), base.search(query(q), K, { ef: 90, filter: form }));
    }
    const sync = base.search(queries, K, { ef: 90, filter: form });
    assert.deepEqual(await base.searchAsync(queries, K, { ef: 90, filter: form }), sync);
    assert.deepEqual(await base.searchBatchAsync(queries, K, { ef: 90, filter: form }), sync);
    const many = await Promise.all(Array.from({ length: NQ }, (_, q) => base.searchAsync(query(q), K, { ef: 90, filter: form })));
    for (let q = 0; q < NQ; q++) assert.deepEqual(many[q].ids, sync.ids.subarray(q * K, (q + 1) * K));
  }
  filter.close();
});

test('closing a Filter while async searches use it frees it after they finish', async () => {
  const big = new Index({ dim: 64, threads: 1, efConstruction: 64 }).add(randomVectors(5000, 64, 61));
  const qs = randomVectors(300, 64, 62);
  const allowed = Array.from({ length: 2500 }, (_, i) => 2 * i); // even ids
  const filter = new Filter(allowed);
  const want = big.search(qs, 5, { ef: 100, filter });
  const pending = [big.searchAsync(qs, 5, { ef: 100, filter }), big.searchBatchAsync(qs, 5, { ef: 100, filter })];
  filter.close();
  assert.equal(filter.closed, true);
  throwsCode(() => big.search(qs, 5, { filter }), 'VDB_EINVAL', /the filter is closed/);
  for (const result of await Promise.all(pending)) {
    assert.deepEqual(result, want);
    for (const id of result.ids) assert.equal(id % 2n, 0n);
  }
  big.close();
});

test('delete and upsert refuse to race a running searchAsync, filtered or not', async () => {
  const tmp = new Index({ dim: 64, threads: 1, efConstruction: 64 }).add(randomVectors(5000, 64, 71));
  const qs = randomVectors(500, 64, 72);
  for (const opts of [{ ef: 200 }, { ef: 200, filter: Array.from({ length: 4000 }, (_, i) => i) }]) {
    const pending = tmp.searchAsync(qs, 10, opts);
    throwsCode(() => tmp.delete(1), 'VDB_EINVAL', /delete: 1 searchAsync call\(s\) still running; await them first/);
    throwsCode(() => tmp.upsert(randomVectors(1, 64, 73), [1]), 'VDB_EINVAL', /upsert: .*searchAsync/);
    throwsCode(() => tmp.add(randomVectors(1, 64, 73)), 'VDB_EINVAL', /add: .*searchAsync/);
    throwsCode(() => tmp.setThreads(2), 'VDB_EINVAL', /setThreads: .*searchAsync/);
    // Readers may run meanwhile.
    assert.equal(tmp.has(1), true);
    assert.equal(tmp.get(1).length, 64);
    assert.equal(tmp.count, 5000);
    await pending;
  }
  tmp.delete(1).upsert(randomVectors(1, 64, 73), [2]);
  assert.equal(tmp.count, 4999);
  assert.equal(tmp.deleted, 2);
  tmp.close();
});

test('a closed index refuses the new calls too', () => {
  const tmp = fresh(10);
  tmp.close();
  for (const call of [() => tmp.delete(1), () => tmp.upsert(row(0), [0]), () => tmp.get(1), () => tmp.has(1), () => tmp.deleted]) {
    throwsCode(call, 'VDB_EINVAL', /closed/);
  }
});

test('filters left to the garbage collector are released by the finalizer', async () => {
  for (let i = 0; i < 2000; i++) {
    const filter = new Filter([i, i + 1, i + 2]);
    if (i % 100 === 0) base.search(query(0), 1, { filter });
  }
  if (global.gc) global.gc();
  await new Promise((resolve) => setImmediate(resolve));
  // What the finalizers released was only theirs: a new filter still allows exactly its ids.
  const { ids, found } = base.search(row(7), 3, { filter: new Filter([7, 100, 1999]) });
  assert.deepEqual(idsOf(ids, found).sort((a, b) => a - b), [7, 100, 1999]);
});
