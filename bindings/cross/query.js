'use strict';
// Node side of the cross-language test: node query.js <index> <queries.f32> <dim> <nq> <k> <ef>
// Prints the answers in make_index.c's format.
const fs = require('node:fs');
const path = require('node:path');
const { Index } = require(path.join(__dirname, '..', 'node'));

const [indexPath, queriesPath, dim, nq, k, ef] = process.argv.slice(2).map((a, i) => (i < 2 ? a : Number(a)));
const bytes = fs.readFileSync(queriesPath);
const queries = new Float32Array(bytes.buffer, bytes.byteOffset, dim * nq);
const index = Index.open(indexPath);
const lines = [];
for (let q = 0; q < nq; q++) {
  const { ids, distances, found } = index.search(queries.subarray(q * dim, (q + 1) * dim), k, { ef });
  const parts = [q, found];
  for (let i = 0; i < found; i++) parts.push(ids[i].toString(), String(distances[i]));
  lines.push(parts.join(' '));
}
index.close();
process.stdout.write(`${lines.join('\n')}\n`);
