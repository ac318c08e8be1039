'use strict';

// 100,000 create / add / search / close iterations must not grow RSS.
// The loop runs in a child process started with --expose-gc (see
// fixtures/memory-loop.js); VDB_MEMORY_ITERATIONS changes the count.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const MiB = 1024 * 1024;

test('100,000 create/add/search/close iterations do not grow RSS', { timeout: 600000 }, () => {
  const iterations = Number(process.env.VDB_MEMORY_ITERATIONS || 100000);
  const output = execFileSync(
    process.execPath,
    ['--expose-gc', path.join(__dirname, 'fixtures', 'memory-loop.js'), String(iterations)],
    { encoding: 'utf8', env: process.env },
  );
  const figures = JSON.parse(output.trim().split('\n').pop());
  const first = figures.rss[10000];
  const last = figures.rss[iterations];
  const growth = last - first;
  const line = Object.entries(figures.rss)
    .map(([i, rss]) => `${i}: ${(rss / MiB).toFixed(1)} MiB`)
    .join(', ');
  console.log(`# RSS ${line}; growth 10k->${iterations / 1000}k ${(growth / MiB).toFixed(1)} MiB ` +
    `(${((growth / (iterations - 10000)) || 0).toFixed(1)} bytes/iteration) in ${figures.seconds} s, gc ${figures.gc}`);
  // One leaked index is ~170 KiB here, so a leak of any index shows as
  // gigabytes; 8 MiB over 90,000 iterations bounds any other leak to < 94 bytes each.
  assert.ok(growth < 8 * MiB, `RSS grew ${(growth / MiB).toFixed(1)} MiB`);
});
