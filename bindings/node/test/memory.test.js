'use strict';

// 100,000 create / add / search / delete / upsert / filtered search / get /
// close iterations must not grow RSS.
// The loop runs in a child process started with --expose-gc (see
// fixtures/memory-loop.js); VDB_MEMORY_ITERATIONS changes the count.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const MiB = 1024 * 1024;

test('100,000 create/add/search/delete/upsert/filter/get/close iterations do not grow RSS', { timeout: 600000 }, () => {
  const iterations = Number(process.env.VDB_MEMORY_ITERATIONS || 100000);
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'fixtures', 'memory-loop.js'), String(iterations)],
    { encoding: 'utf8', env: process.env },
  );
  const figures = JSON.parse(output.trim().split('\n').pop());
  // RSS rises by ~6 MiB over the first 25,000 to 50,000 iterations, in steps,
  // as V8 sizes its heap for the loop (heapTotal 8 -> 20 MiB; malloc's bytes
  // in use stay flat), then stays flat up to 500,000 at least: the growth is
  // measured from 25,000 on.
  const from = iterations >= 50000 ? 25000 : 10000;
  const first = figures.rss[from];
  const last = figures.rss[iterations];
  const growth = last - first;
  const line = Object.entries(figures.rss)
    .map(([i, rss]) => `${i}: ${(rss / MiB).toFixed(1)} MiB`)
    .join(', ');
  console.log(`# RSS ${line}; growth ${from / 1000}k->${iterations / 1000}k ${(growth / MiB).toFixed(1)} MiB ` +
    `(${((growth / (iterations - from)) || 0).toFixed(1)} bytes/iteration) in ${figures.seconds} s, gc ${figures.gc}`);
  // One leaked index is ~170 KiB here, so a leak of any index shows as
  // gigabytes; a leaked filter is a few hundred bytes, 20+ MiB over 75,000
  // iterations; 8 MiB bounds any other leak to < 112 bytes each.
  assert.ok(growth < 8 * MiB, `RSS grew ${(growth / MiB).toFixed(1)} MiB`);
});
