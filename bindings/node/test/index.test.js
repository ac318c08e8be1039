'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const vdb = require('..');
const { Index, VdbError, verify } = vdb;
const { randomVectors, bruteForce, scratchDir, throwsCode } = require('./helpers.js');

const DIM = 32;
const N = 2000;
const NQ = 40;
const K = 10;
const data = randomVectors(N, DIM, 1);
const queries = randomVectors(NQ, DIM, 2);
const query = (q) => queries.subarray(q * DIM, (q + 1) * DIM);

let scratch;
let index;
test.before(() => {
  scratch = scratchDir();
  index = Index.create({ dim: DIM, metric: 'l2', m: 16, efConstruction: 200, efSearch: 64, threads: 2, seed: 7 });
  index.add(data);
});
test.after(() => {
  index.close();
  scratch.remove();
});

// Expect fn to throw a VdbError with this code.

async function rejectsCode(promise, code, pattern) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof VdbError, `not a VdbError: ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.detail, pattern);
    return true;
  });
}

test('version matches the generated declarations', () => {
  assert.equal(vdb.versionNumber, require('../lib/ffi.generated.js').VERSION);
  assert.match(vdb.version, /^\d+\.\d+\.\d+$/);
});

// package.json cannot read the version from vdb.h, as Python's setup.py does,
// so this keeps the two equal: bump it when tools/gen_bindings.py does.
test("package.json's version is the libvdb version the declarations are for", () => {
  const { VERSION_STRING } = require('../lib/ffi.generated.js');
  assert.equal(require('../package.json').version, VERSION_STRING, `set "version" in bindings/node/package.json to ${VERSION_STRING}`);
});

test('properties', () => {
  assert.equal(index.count, N);
  assert.equal(index.dim, DIM);
  assert.equal(index.metric, 'l2');
  assert.equal(index.closed, false);
  assert.equal(index.deleted, 0);
  assert.deepEqual(index.config, { dim: DIM, metric: 'l2', m: 16, efConstruction: 200, efSearch: 64, threads: 2, seed: 7, codes: null, codeBytes: 0, rerank: 0 });
});

test('recall@10 against exact brute force', () => {
  let hits = 0;
  for (let q = 0; q < NQ; q++) {
    const { ids, distances, found } = index.search(query(q), K, { ef: 128 });
    assert.ok(ids instanceof BigUint64Array && distances instanceof Float32Array);
    assert.equal(found, K);
    for (let i = 1; i < K; i++) assert.ok(distances[i] >= distances[i - 1]);
    const truth = new Set(bruteForce(data, DIM, query(q), K));
    for (const id of ids) if (truth.has(Number(id))) hits++;
  }
  const recall = hits / (NQ * K);
  console.log(`# recall@10 = ${recall.toFixed(3)}`);
  assert.ok(recall >= 0.95, `recall ${recall}`);
});

test('distances are squared L2 of the rows found', () => {
  const { ids, distances } = index.search(query(0), 3);
  for (let i = 0; i < 3; i++) {
    const row = data.subarray(Number(ids[i]) * DIM, (Number(ids[i]) + 1) * DIM);
    let d = 0;
    for (let j = 0; j < DIM; j++) d += (row[j] - query(0)[j]) ** 2;
    assert.ok(Math.abs(d - distances[i]) <= 1e-4 * Math.max(1, d));
  }
});

test('a batch equals a loop of single searches', () => {
  const batch = index.search(queries, K, { ef: 100 });
  assert.ok(batch.found instanceof Uint32Array);
  assert.equal(batch.found.length, NQ);
  assert.equal(batch.ids.length, NQ * K);
  for (let q = 0; q < NQ; q++) {
    const one = index.search(query(q), K, { ef: 100 });
    assert.equal(batch.found[q], one.found);
    assert.deepEqual(batch.ids.subarray(q * K, (q + 1) * K), one.ids);
    assert.deepEqual(batch.distances.subarray(q * K, (q + 1) * K), one.distances);
  }
});

test('searchBatch always takes the batch path', async () => {
  const one = index.searchBatch(query(3), K, { ef: 100 });
  assert.ok(one.found instanceof Uint32Array);
  assert.equal(one.found.length, 1);
  const single = index.search(query(3), K, { ef: 100 });
  assert.deepEqual(one.ids, single.ids);
  assert.deepEqual(one.distances, single.distances);
  assert.equal(one.found[0], single.found);
  assert.deepEqual(await index.searchBatchAsync(query(3), K, { ef: 100 }), one);
  assert.deepEqual(index.searchBatch(queries, K, { ef: 100 }), index.search(queries, K, { ef: 100 }));
});

test('plain arrays are accepted for queries and ids', () => {
  const small = Index.create({ dim: 2, threads: 1 });
  small.add([0, 0, 1, 1, 5, 5], [100, Number.MAX_SAFE_INTEGER, 7n]);
  small.add(new Float32Array([9, 9]), new BigUint64Array([(1n << 64n) - 2n]));
  const { ids, distances, found } = small.search([1, 1], 10);
  assert.equal(found, 4);
  assert.deepEqual([...ids.subarray(0, 4)], [BigInt(Number.MAX_SAFE_INTEGER), 100n, 7n, (1n << 64n) - 2n]);
  assert.equal(ids[4], (1n << 64n) - 1n, 'slots past found hold 2^64-1');
  assert.equal(distances[4], Infinity);
  assert.equal(small.count, 4);
  throwsCode(() => small.add([3, 3], [7]), 'VDB_EEXIST');
  small.close();
});

test('searchAsync gives what search gives, single and batch', async () => {
  for (let q = 0; q < 5; q++) {
    const a = await index.searchAsync(query(q), K, { ef: 100 });
    const s = index.search(query(q), K, { ef: 100 });
    assert.deepEqual(a, s);
  }
  const many = await Promise.all(Array.from({ length: NQ }, (_, q) => index.searchAsync(query(q), K, { ef: 100 })));
  const batch = await index.searchAsync(queries, K, { ef: 100 });
  for (let q = 0; q < NQ; q++) assert.deepEqual(many[q].ids, batch.ids.subarray(q * K, (q + 1) * K));
});

test('searchAsync leaves the event loop free', async () => {
  const big = Index.create({ dim: 64, threads: 1, efConstruction: 64 });
  big.add(randomVectors(20000, 64, 3));
  const qs = randomVectors(1000, 64, 4);
  let ticks = 0;
  let running = true;
  const tick = () => {
    ticks++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = process.hrtime.bigint();
  const result = await big.searchAsync(qs, 10, { ef: 300 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  running = false;
  console.log(`# async batch of 1000 took ${ms.toFixed(0)} ms; the event loop turned ${ticks} times meanwhile`);
  assert.equal(result.found.length, 1000);
  assert.ok(ticks > 10, `event loop turned only ${ticks} times`);
  big.close();
});

test('close while searchAsync runs: the search finishes, then the index is freed', async () => {
  const tmp = Index.create({ dim: 64, threads: 1, efConstruction: 64 });
  tmp.add(randomVectors(5000, 64, 5));
  const pending = tmp.searchAsync(randomVectors(500, 64, 6), 10, { ef: 200 });
  tmp.close();
  assert.equal(tmp.closed, true);
  const result = await pending;
  assert.equal(result.found.length, 500);
  throwsCode(() => tmp.search(randomVectors(1, 64, 7), 1), 'VDB_EINVAL', /closed/);
});

test('add, build and setThreads refuse to race a running searchAsync', async () => {
  const tmp = Index.create({ dim: 64, threads: 1, efConstruction: 64 });
  tmp.add(randomVectors(5000, 64, 5));
  const pending = tmp.searchAsync(randomVectors(500, 64, 6), 10, { ef: 200 });
  throwsCode(() => tmp.add(randomVectors(10, 64, 8)), 'VDB_EINVAL', /searchAsync/);
  throwsCode(() => tmp.setThreads(2), 'VDB_EINVAL', /searchAsync/);
  await pending;
  tmp.add(randomVectors(10, 64, 8));
  assert.equal(tmp.count, 5010);
  tmp.close();
});

test('save / open round trip answers exactly as before', () => {
  const file = scratch.file('round.vdbi');
  index.save(file);
  assert.equal(verify(file), true);
  for (const opts of [{}, { verify: true }, { populate: true }, { verify: true, populate: true }]) {
    const opened = Index.open(file, opts);
    assert.equal(opened.count, N);
    assert.equal(opened.dim, DIM);
    assert.equal(opened.metric, 'l2');
    assert.deepEqual(opened.search(queries, K, { ef: 100 }), index.search(queries, K, { ef: 100 }));
    throwsCode(() => opened.add(query(0)), 'VDB_EREADONLY');
    opened.close();
  }
});

test('mapVectors + build over a raw float32 file', () => {
  const file = scratch.file('vectors.f32');
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const mapped = Index.mapVectors(file, { dim: DIM, threads: 2 });
  assert.equal(mapped.count, 0);
  assert.equal(mapped.rows, N);
  assert.equal(index.rows, null);
  mapped.build(0, N / 4).build(BigInt(N / 4), N / 4);
  assert.equal(mapped.count, N / 2);
  mapped.build(N / 2); // the rest of the file
  assert.equal(mapped.count, N);
  const truth = new Set(bruteForce(data, DIM, query(0), K));
  const { ids } = mapped.search(query(0), K, { ef: 128 });
  assert.ok([...ids].filter((id) => truth.has(Number(id))).length >= 9);
  throwsCode(() => mapped.build(N, 1), 'VDB_ERANGE');
  throwsCode(() => mapped.build(0, 1), 'VDB_EEXIST');
  throwsCode(() => mapped.add(query(0)), 'VDB_EREADONLY');
  mapped.close();
  throwsCode(() => Index.mapVectors(file, {}), 'VDB_EINVAL');
  throwsCode(() => index.build(0, 1), 'VDB_EINVAL', /mapped vector file/);
});

test('new Index(options) is Index.create(options)', () => {
  const opts = { dim: DIM, metric: 'cosine', m: 12, efConstruction: 100, efSearch: 50, threads: 1, seed: 3 };
  const made = new Index(opts);
  const created = Index.create(opts);
  assert.ok(made instanceof Index);
  assert.equal(made.count, 0);
  assert.deepEqual(made.config, created.config);
  made.add(data);
  created.add(data);
  assert.deepEqual(made.search(queries, K), created.search(queries, K));
  made.close();
  created.close();

  throwsCode(() => new Index(), 'VDB_EINVAL', /dim/);
  throwsCode(() => new Index({ metric: 'l2' }), 'VDB_EINVAL', /dim/);
  throwsCode(() => new Index({ dim: 4, efconstruction: 10 }), 'VDB_EINVAL', /unknown option 'efconstruction'/);
  throwsCode(() => new Index(scratch.file('saved.vdbi')), 'VDB_EINVAL', /Index\.open/);
  throwsCode(() => new Index(null), 'VDB_EINVAL', /must be an object/);
  assert.throws(() => Index({ dim: 4 }), TypeError); // a class needs new
});

test('open and mapVectors still give an Index', () => {
  const file = scratch.file('kind.vdbi');
  const small = new Index({ dim: 4, threads: 1 }).add([1, 2, 3, 4]).save(file);
  small.close();
  const opened = Index.open(file);
  assert.ok(opened instanceof Index);
  assert.equal(opened.count, 1);
  opened.close();
  const raw = scratch.file('kind.f32');
  fs.writeFileSync(raw, Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
  const mapped = Index.mapVectors(raw, { dim: 4 });
  assert.ok(mapped instanceof Index);
  assert.equal(mapped.rows, 1);
  mapped.close();
});

test('metrics ip and cosine', () => {
  for (const metric of ['ip', 'cosine']) {
    const idx = Index.create({ dim: 4, metric, threads: 1 });
    idx.add([1, 0, 0, 0, 0, 1, 0, 0]);
    assert.equal(idx.metric, metric);
    const { ids, distances } = idx.search([2, 0, 0, 0], 1);
    assert.equal(ids[0], 0n);
    assert.ok(Math.abs(distances[0] - (metric === 'ip' ? -1 : 0)) < 1e-6, `${metric}: ${distances[0]}`);
    idx.close();
  }
});

test('bad inputs throw VdbError with the C code and detail', () => {
  throwsCode(() => index.search(new Float32Array(DIM - 1), K), 'VDB_EDIM', /index has 32/);
  throwsCode(() => index.search(new Float32Array(DIM + 1), K), 'VDB_EDIM');
  throwsCode(() => index.search(new Float32Array(0), K), 'VDB_EDIM');
  throwsCode(() => index.add(new Float32Array(DIM + 3)), 'VDB_EDIM');
  const nan = Float32Array.from(query(0));
  nan[5] = NaN;
  throwsCode(() => index.search(nan, K), 'VDB_EINVAL', /NaN/);
  const inf = Float32Array.from(query(0));
  inf[1] = -Infinity;
  throwsCode(() => index.add(inf), 'VDB_EINVAL', /NaN or Inf/);
  throwsCode(() => index.search(query(0), 0), 'VDB_EINVAL', /k must be at least 1/);
  throwsCode(() => index.search(query(0), -1), 'VDB_EINVAL');
  throwsCode(() => index.search(query(0), 2.5), 'VDB_EINVAL');
  throwsCode(() => index.search(query(0), K, { ef: -3 }), 'VDB_EINVAL');
  throwsCode(() => index.search(query(0), K, { eff: 3 }), 'VDB_EINVAL', /unknown option/);
  throwsCode(() => index.search('not floats', K), 'VDB_EINVAL');
  throwsCode(() => index.search(new Float64Array(DIM), K), 'VDB_EINVAL', /Float32Array/);
  throwsCode(() => index.search([1, 'x', ...new Array(DIM - 2).fill(0)], K), 'VDB_EINVAL');
  throwsCode(() => index.add(query(0), new BigUint64Array(2)), 'VDB_EINVAL', /2 ids given for 1 vectors/);
  throwsCode(() => index.add(query(0), [-1]), 'VDB_EINVAL');
  throwsCode(() => index.add(query(0), [2 ** 53]), 'VDB_EINVAL', /bigint beyond 2\^53/);
  throwsCode(() => index.add(query(0), [(1n << 64n) - 1n]), 'VDB_EINVAL');
  throwsCode(() => index.add(query(0), 'ids'), 'VDB_EINVAL');
  assert.equal(index.count, N, 'failed adds added nothing');

  throwsCode(() => Index.create({ dim: 0 }), 'VDB_EINVAL');
  throwsCode(() => Index.create({}), 'VDB_EINVAL', /dim/);
  throwsCode(() => Index.create(), 'VDB_EINVAL', /dim/);
  throwsCode(() => Index.create({ dim: 70000 }), 'VDB_EINVAL');
  throwsCode(() => Index.create({ dim: 4, metric: 'manhattan' }), 'VDB_EINVAL', /metric/);
  throwsCode(() => Index.create({ dim: 4, m: 1 }), 'VDB_EINVAL');
  throwsCode(() => Index.create({ dim: 4, efconstruction: 10 }), 'VDB_EINVAL', /unknown option 'efconstruction'/);
  throwsCode(() => Index.create({ dim: 4, seed: -1 }), 'VDB_EINVAL');
  throwsCode(() => Index.open(42), 'VDB_EINVAL');
  throwsCode(() => Index.open(scratch.file('x'), { verfy: true }), 'VDB_EINVAL', /unknown option/);
  throwsCode(() => index.setThreads(5000), 'VDB_EINVAL');
});

test('bad files: missing, directory, corrupt, truncated, damaged', () => {
  const good = scratch.file('good.vdbi');
  index.save(good);
  const bytes = fs.readFileSync(good);

  throwsCode(() => Index.open(scratch.file('missing.vdbi')), 'VDB_EIO', /missing\.vdbi/);
  throwsCode(() => verify(scratch.file('missing.vdbi')), 'VDB_EIO');
  throwsCode(() => Index.open(scratch.dir), 'VDB_EIO', /directory/i);
  throwsCode(() => Index.mapVectors(scratch.dir, { dim: 4 }), 'VDB_EIO');

  const corrupt = scratch.file('corrupt.vdbi');
  fs.writeFileSync(corrupt, Buffer.from('not an index '.repeat(1000)));
  throwsCode(() => Index.open(corrupt), 'VDB_EFORMAT');
  throwsCode(() => verify(corrupt), 'VDB_EFORMAT');

  const empty = scratch.file('empty.vdbi');
  fs.writeFileSync(empty, Buffer.alloc(0));
  throwsCode(() => Index.open(empty), 'VDB_EFORMAT');

  const truncated = scratch.file('truncated.vdbi');
  fs.writeFileSync(truncated, bytes.subarray(0, 5000));
  throwsCode(() => Index.open(truncated), 'VDB_EFORMAT');

  const damaged = scratch.file('damaged.vdbi');
  const copy = Buffer.from(bytes);
  copy[copy.length - 100] ^= 0x55;
  fs.writeFileSync(damaged, copy);
  throwsCode(() => verify(damaged), 'VDB_EFORMAT');
  throwsCode(() => Index.open(damaged, { verify: true }), 'VDB_EFORMAT');

  throwsCode(() => index.save(scratch.file('no/such/dir/x.vdbi')), 'VDB_EIO');
});

test('a closed index throws, never crashes', async () => {
  const tmp = Index.create({ dim: 4, threads: 1 });
  tmp.add([1, 2, 3, 4]);
  tmp.close();
  tmp.close();
  assert.equal(tmp.closed, true);
  throwsCode(() => tmp.search([1, 2, 3, 4], 1), 'VDB_EINVAL', /closed/);
  throwsCode(() => tmp.add([1, 2, 3, 4]), 'VDB_EINVAL', /closed/);
  throwsCode(() => tmp.build(0, 1), 'VDB_EINVAL', /closed/);
  throwsCode(() => tmp.save(scratch.file('closed.vdbi')), 'VDB_EINVAL', /closed/);
  throwsCode(() => tmp.setThreads(1), 'VDB_EINVAL', /closed/);
  throwsCode(() => tmp.count, 'VDB_EINVAL', /closed/);
  throwsCode(() => tmp.dim, 'VDB_EINVAL', /closed/);
  throwsCode(() => tmp.config, 'VDB_EINVAL', /closed/);
  await rejectsCode(tmp.searchAsync([1, 2, 3, 4], 1), 'VDB_EINVAL', /closed/);
});

test('searchAsync rejects bad input with the same codes', async () => {
  await rejectsCode(index.searchAsync(new Float32Array(3), K), 'VDB_EDIM');
  const nan = Float32Array.from(queries.subarray(0, 2 * DIM));
  nan[DIM + 2] = NaN;
  await rejectsCode(index.searchAsync(nan, K), 'VDB_EINVAL', /query 1 holds NaN or Inf/);
  await rejectsCode(index.searchAsync(query(0), 0), 'VDB_EINVAL', /k must be at least 1/);
});

test('indexes left to the garbage collector are released by the finalizer', async () => {
  for (let i = 0; i < 2000; i++) {
    const tmp = Index.create({ dim: 8, threads: 1 });
    tmp.add([1, 2, 3, 4, 5, 6, 7, 8]);
  }
  if (global.gc) global.gc();
  await new Promise((resolve) => setImmediate(resolve));
  // What the finalizers released was only theirs: a new index still finds its one vector.
  const after = Index.create({ dim: 8, threads: 1 });
  after.add([1, 2, 3, 4, 5, 6, 7, 8]);
  const { ids, distances } = after.search([1, 2, 3, 4, 5, 6, 7, 8], 1);
  assert.equal(ids[0], 0n);
  assert.equal(distances[0], 0);
  after.close();
});
