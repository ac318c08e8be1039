'use strict';

// The journal of a writable index: commit, replay on every open, one writer
// (VDB_EBUSY), save in place as a checkpoint, recover.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');

const vdb = require('..');
const { Index, VdbError } = vdb;
const { randomVectors, scratchDir, throwsCode } = require('./helpers.js');

const DIM = 8;
const data = randomVectors(240, DIM, 31);
const row = (i) => data.subarray(i * DIM, (i + 1) * DIM);
const rows = (from, to) => data.subarray(from * DIM, to * DIM);

let scratch;
test.before(() => {
  scratch = scratchDir();
});
test.after(() => scratch.remove());

// A saved index of rows 0 .. 199 under ids 0 .. 199, no journal yet.
function saved(name) {
  const file = scratch.file(name);
  new Index({ dim: DIM, threads: 1, seed: 3 }).add(rows(0, 200)).save(file).close();
  return file;
}


const nearest = (index, vector) => index.search(vector, 1).ids[0];

test('the new codes and the recover flag are there', () => {
  assert.equal(vdb.constants.VDB_EBUSY, -11);
  assert.equal(vdb.constants.VDB_ENOSPC, -12);
  assert.equal(vdb.constants.VDB_OPEN_RECOVER, 8);
  assert.equal(new VdbError(-12, 'full').code, 'VDB_ENOSPC');
  assert.equal(new VdbError(-11, 'busy').code, 'VDB_EBUSY');
});

test('committed changes are in every later open, read-only too', () => {
  const file = saved('committed.vdb');
  const index = Index.open(file, { writable: true });
  assert.ok(fs.existsSync(`${file}-journal`), 'the writable open creates the journal');
  index.add(rows(200, 205), [1000, 1001, 1002, 1003, 1004]);
  index.delete([5, 6]);
  index.upsert(row(210), [7]);
  assert.equal(index.commit(), index, 'commit returns the index');
  index.commit(); // nothing new
  index.close();

  const reopened = Index.open(file);
  assert.equal(reopened.count, 200 + 5 - 2);
  assert.equal(reopened.has(5) || reopened.has(6), false);
  assert.equal(reopened.has(1004), true);
  assert.deepEqual(reopened.get(1002), Float32Array.from(row(202)));
  assert.deepEqual(reopened.get(7), Float32Array.from(row(210)));
  assert.equal(nearest(reopened, row(203)), 1003n);
  assert.equal(nearest(reopened, row(210)), 7n);
  const { ids, found } = reopened.search(row(5), 10);
  assert.ok(![...ids.subarray(0, found)].includes(5n), 'a committed delete is never returned');
  throwsCode(() => reopened.get(6), 'VDB_ENOTFOUND');
  reopened.close();
});

test('changes after the last commit are gone after close and reopen', () => {
  const file = saved('uncommitted.vdb');
  const index = Index.open(file, { writable: true });
  index.add(row(200), [500]).commit();
  index.add(row(201), [501]).delete(10).upsert(row(202), [11]);
  assert.equal(index.has(501), true);
  index.close();

  for (const opts of [{}, { writable: true }]) {
    const reopened = Index.open(file, opts);
    assert.equal(reopened.count, 201);
    assert.equal(reopened.has(500), true);
    assert.equal(reopened.has(501), false);
    assert.equal(reopened.has(10), true);
    assert.deepEqual(reopened.get(11), Float32Array.from(row(11)));
    assert.equal(nearest(reopened, row(200)), 500n);
    assert.equal(nearest(reopened, row(10)), 10n);
    reopened.close();
  }
});

test('a second writable open of a file throws VDB_EBUSY until the first is closed', () => {
  const file = saved('busy.vdb');
  const first = Index.open(file, { writable: true });
  throwsCode(() => Index.open(file, { writable: true }), 'VDB_EBUSY', /open for writing elsewhere/);
  const reader = Index.open(file); // readers take no lock
  assert.equal(reader.count, 200);
  reader.close();
  first.add(row(200), [900]).commit().close();
  const second = Index.open(file, { writable: true });
  assert.equal(second.has(900), true);
  // A save over a file whose journal holds changes it lacks would lose them.
  second.add(row(201), [901]).commit();
  second.close();
  const other = new Index({ dim: DIM, threads: 1 }).add(rows(0, 3));
  throwsCode(() => other.save(file), 'VDB_EBUSY', /journal/);
  other.close();
  const last = Index.open(file);
  assert.equal(last.count, 202);
  last.close();
});

test('commit needs a writable index with a file', () => {
  const file = saved('readonly.vdb');
  const readOnly = Index.open(file);
  throwsCode(() => readOnly.commit(), 'VDB_EREADONLY', /vdb_commit: .*read-only.*VDB_OPEN_WRITABLE/);
  readOnly.close();
  const inMemory = new Index({ dim: DIM });
  throwsCode(() => inMemory.commit(), 'VDB_EINVAL', /save/);
  inMemory.close();
  throwsCode(() => inMemory.commit(), 'VDB_EINVAL', /closed/);
});

test('commit refuses to race a running searchAsync', async () => {
  const file = saved('async.vdb');
  const index = Index.open(file, { writable: true });
  index.add(row(200), [600]);
  const pending = index.searchAsync(row(0), 5);
  throwsCode(() => index.commit(), 'VDB_EINVAL', /searchAsync/);
  await pending;
  index.commit().close();
  const reopened = Index.open(file);
  assert.equal(reopened.has(600), true);
  reopened.close();
});

test('save in place is a checkpoint: every change kept, the journal emptied', () => {
  const file = saved('checkpoint.vdb');
  const journal = `${file}-journal`;
  const index = Index.open(file, { writable: true });
  index.add(rows(200, 202), [800, 801]).commit();
  index.delete(0); // not committed: the checkpoint keeps it
  const full = fs.statSync(journal).size;
  index.save(file);
  assert.ok(fs.statSync(journal).size < full, 'the journal is emptied');
  index.add(row(202), [802]).commit();
  index.close();
  const reopened = Index.open(file, { verify: true });
  assert.equal(reopened.count, 202);
  assert.equal(reopened.deleted, 0);
  assert.equal(reopened.has(0), false);
  assert.equal(reopened.has(800) && reopened.has(802), true);
  reopened.close();
});

test('recover applies the intact commits of a damaged journal', () => {
  const file = saved('damaged.vdb');
  const journal = `${file}-journal`;
  const index = Index.open(file, { writable: true });
  index.add(row(200), [600]).commit();
  const firstCommitEnd = fs.statSync(journal).size;
  index.add(row(201), [601]).commit();
  index.add(row(202), [602]).commit();
  index.close();
  const bytes = fs.readFileSync(journal);
  bytes[firstCommitEnd] ^= 0xff; // the checksum of the first record after commit 1
  fs.writeFileSync(journal, bytes);

  throwsCode(() => Index.open(file), 'VDB_EFORMAT', /damaged.*VDB_OPEN_RECOVER/);
  throwsCode(() => Index.open(file, { writable: true }), 'VDB_EFORMAT', /damaged/);
  const readOnly = Index.open(file, { recover: true });
  assert.deepEqual([readOnly.has(600), readOnly.has(601), readOnly.has(602)], [true, false, false]);
  readOnly.close();
  const writable = Index.open(file, { writable: true, recover: true }); // cuts the damage off
  assert.equal(writable.count, 201);
  writable.close();
  const plain = Index.open(file);
  assert.equal(plain.count, 201);
  assert.equal(plain.has(600), true);
  plain.close();
});
