'use strict';

// The progress option of add() and build(): reports from 0 to total, cancel
// by returning true or by throwing, and the callback gone after the call.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const { Index, VdbError } = require('..');
const { randomVectors, scratchDir } = require('./helpers.js');

const DIM = 8;
const N = 3000;
const data = randomVectors(N, DIM, 5);

function assertZeroToTotal(calls, total) {
  assert.deepEqual(calls[0], [0, total]);
  assert.deepEqual(calls.at(-1), [total, total]);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] >= calls[i - 1][0]);
  for (const [, t] of calls) assert.equal(t, total);
}

test('add reports from 0 to total', () => {
  const calls = [];
  const index = new Index({ dim: DIM, threads: 2 });
  index.add(data, undefined, { progress: (done, total) => { calls.push([done, total]); } });
  assert.equal(index.count, N);
  assertZeroToTotal(calls, N);
  index.close();
});

test('build reports from 0 to total', () => {
  const scratch = scratchDir();
  const file = scratch.file('v.f32');
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  const calls = [];
  const index = Index.mapVectors(file, { dim: DIM, threads: 2 });
  index.build(100, 2000, { progress: (done, total) => { calls.push([done, total]); } });
  assert.equal(index.count, 2000);
  assertZeroToTotal(calls, 2000);
  index.close();
  scratch.remove();
});

test('returning true cancels with VDB_ECANCELED and adds nothing', () => {
  const index = new Index({ dim: DIM, threads: 2 });
  const ids = Array.from({ length: N }, (_, i) => i);
  assert.throws(() => index.add(data, ids, { progress: () => true }), (err) => err instanceof VdbError && err.code === 'VDB_ECANCELED');
  assert.equal(index.count, 0);
  index.add(data, ids); // the ids are free, and the callback is gone
  assert.equal(index.count, N);
  index.close();
});

test('a throw in the callback cancels and is rethrown', () => {
  const index = new Index({ dim: DIM, threads: 2 });
  assert.throws(() => index.add(data, undefined, { progress: () => { throw new RangeError('enough'); } }), /enough/);
  assert.equal(index.count, 0);
  index.close();
});

test('the callback must not use its index', () => {
  const index = new Index({ dim: DIM, threads: 2 });
  assert.throws(() => index.add(data, undefined, { progress: () => index.has(0) }), /progress callback/);
  assert.equal(index.count, 0);
  index.close();
});

test('bad options are refused before any work', () => {
  const index = new Index({ dim: DIM });
  assert.throws(() => index.add(data, undefined, { progress: 'yes' }), /progress must be a function/);
  assert.throws(() => index.add(data, undefined, { progres: () => {} }), /unknown option/);
  assert.equal(index.count, 0);
  index.close();
});
