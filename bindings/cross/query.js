'use strict';
// Node side of the cross-language test:
//   node query.js <index> <queries.f32> <dim> <nq> <k> <ef> [<allow ids|-> [<delete ids|-> [commit|disk]]]
// With a delete file it opens the index writable and deletes those ids (one
// call) before searching; with "commit" too it commits them, closes the index
// and opens it again read-only. With an allow file every search is filtered
// by that allow-list. With "disk" (and no delete file) it opens the index
// disk-resident with a 64 KiB node cache. Prints the answers in make_index.c's
// format.
const fs = require('node:fs');
const path = require('node:path');
const { Index } = require(path.join(__dirname, '..', 'node'));

const args = process.argv.slice(2);
const [indexPath, queriesPath] = args;
const [dim, nq, k, ef] = args.slice(2, 6).map(Number);
const allowPath = args[6] || '-';
const deletePath = args[7] || '-';
const commit = args[8] === 'commit';
const disk = args[8] === 'disk';

// Decimal ids, one a line; they pass 2^53, so BigInt.
function readIds(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '');
  return BigUint64Array.from(lines, (line) => BigInt(line));
}

const bytes = fs.readFileSync(queriesPath);
const queries = new Float32Array(bytes.buffer, bytes.byteOffset, dim * nq);
let index;
if (deletePath !== '-') {
  index = Index.open(indexPath, { writable: true });
  index.delete(readIds(deletePath));
  if (commit) {
    index.commit().close();
    index = Index.open(indexPath);
  }
} else if (disk) {
  index = Index.open(indexPath, { disk: true }).setDiskCache(64 * 1024);
} else {
  index = Index.open(indexPath);
}
const options = allowPath === '-' ? { ef } : { ef, filter: readIds(allowPath) };
const lines = [];
for (let q = 0; q < nq; q++) {
  const { ids, distances, found } = index.search(queries.subarray(q * dim, (q + 1) * dim), k, options);
  const parts = [q, found];
  for (let i = 0; i < found; i++) parts.push(ids[i].toString(), String(distances[i]));
  lines.push(parts.join(' '));
}
index.close();
process.stdout.write(`${lines.join('\n')}\n`);
