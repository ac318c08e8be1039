'use strict';

// Index.open(path, { disk: true }) and setDiskCache(): a disk-resident index
// gives the mapped index's ids and distances, with and without a cache, and
// what it refuses throws.

const test = require('node:test');
const assert = require('node:assert/strict');

const vdb = require('..');
const { Index } = vdb;
const { clusteredVectors, scratchDir, throwsCode } = require('./helpers.js');

const DIM = 32;
const N = 2000; // over the 1024 vectors int8 codes are trained at
const NQ = 40;
const K = 10;
const EF = 64;
const data = clusteredVectors(N, DIM, 31);
const queries = clusteredVectors(NQ, DIM, 32, { centresSeed: 31 });


let scratch;
let coded;
let plain;
test.before(() => {
  scratch = scratchDir();
  coded = scratch.file('int8.vdb');
  plain = scratch.file('plain.vdb');
  for (const [codes, file] of [['int8', coded], [null, plain]]) {
    const index = Index.create({ dim: DIM, codes, seed: 3 });
    index.add(data);
    index.save(file);
    index.close();
  }
});
test.after(() => scratch.remove());

function searchAll(index) {
  const batch = index.searchBatch(queries, K, { ef: EF });
  const one = index.search(queries.subarray(7 * DIM, 8 * DIM), K, { ef: EF });
  return { ids: [...batch.ids], distances: [...batch.distances], one: [...one.ids], oneDistances: [...one.distances] };
}

test('disk gives the mapped ids and distances, with and without a cache', () => {
  const mapped = Index.open(coded);
  const want = searchAll(mapped);
  mapped.close();
  assert.deepEqual(want.one, want.ids.slice(7 * K, 8 * K));
  for (const cache of [undefined, 0, 64 * 1024, 64n << 20n]) {
    const disk = Index.open(coded, { disk: true });
    if (cache !== undefined) assert.equal(disk.setDiskCache(cache), disk);
    assert.deepEqual(searchAll(disk), want, `cache ${cache}`);
    disk.close();
  }
});

test('disk searchAsync gives the same results', async () => {
  const mapped = Index.open(coded);
  const want = mapped.searchBatch(queries, K, { ef: EF });
  mapped.close();
  const disk = Index.open(coded, { disk: true });
  disk.setDiskCache(1 << 20);
  const got = await disk.searchBatchAsync(queries, K, { ef: EF });
  assert.deepEqual([...got.ids], [...want.ids]);
  assert.deepEqual([...got.distances], [...want.distances]);
  disk.close();
});

test('disk is read-only', () => {
  const disk = Index.open(coded, { disk: true });
  throwsCode(() => disk.delete(0), 'VDB_EREADONLY');
  disk.close();
});

test('disk with writable or populate throws VDB_EINVAL', () => {
  throwsCode(() => Index.open(coded, { disk: true, writable: true }), 'VDB_EINVAL', /WRITABLE/);
  throwsCode(() => Index.open(coded, { disk: true, populate: true }), 'VDB_EINVAL', /POPULATE/);
});

test('disk on an index without codes throws, naming codes', () => {
  throwsCode(() => Index.open(plain, { disk: true }), 'VDB_EINVAL', /codes/);
});

test('setDiskCache on an index not opened with disk throws VDB_EINVAL', () => {
  const mapped = Index.open(coded);
  throwsCode(() => mapped.setDiskCache(1 << 20), 'VDB_EINVAL', /VDB_OPEN_DISK/);
  mapped.close();
  const heap = Index.create({ dim: DIM });
  throwsCode(() => heap.setDiskCache(1 << 20), 'VDB_EINVAL');
  heap.close();
});

test('setDiskCache checks its argument', () => {
  const disk = Index.open(coded, { disk: true });
  for (const bad of [-1, 1.5, '1', -1n, 1n << 64n, 2 ** 60]) throwsCode(() => disk.setDiskCache(bad), 'VDB_EINVAL');
  disk.close();
  throwsCode(() => disk.setDiskCache(0), 'VDB_EINVAL');
});
