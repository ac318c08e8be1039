'use strict';

// Copies the library's C sources (lib/paths.js SOURCE_PARTS) from the libvdb
// checkout into vendor/, so that a packed package builds libvdb wherever it is
// installed, with no checkout around it. package.json runs it as:
//
//   prepare:  node scripts/vendor.js --if-packing
//             npm runs `prepare` on `npm pack` and `npm publish`, and pacote
//             runs it (and only it) on a folder before packing it: that is
//             how npm 9.0 to 9.4.1 install a folder (install-links=true).
//             It also runs on a plain `npm install` in this folder and on
//             linking a folder; nothing is packed then, so nothing is copied.
//   postpack: node scripts/vendor.js --clean
//             the tarball has it; the checkout need not keep it.
//
// vendor/ is rebuilt from scratch each time, so it never goes stale, and it
// is in .gitignore.

const fs = require('node:fs');
const path = require('node:path');
const { PACKAGE_DIR, VENDOR_DIR, SOURCE_PARTS, isSource, checkoutRoot } = require('../lib/paths.js');

function log(message) {
  process.stderr.write(`vdb vendor: ${message}\n`);
}

// npm is about to pack this folder: `npm pack`/`npm publish`, or pacote
// preparing a folder dependency (it names the folder in npm_package_resolved).
function packing() {
  const { npm_command: command, npm_package_resolved: resolved } = process.env;
  if (command === 'pack' || command === 'publish') return true;
  try {
    return !!resolved && fs.realpathSync(resolved) === fs.realpathSync(PACKAGE_DIR);
  } catch {
    return false; // not a path (npm 11 passes "null" when it links a folder)
  }
}

function copy() {
  const root = checkoutRoot();
  if (!root) {
    // A package that came from a tarball carries vendor/ already.
    if (isSource(VENDOR_DIR)) return log('no libvdb checkout around this package; keeping vendor/ as it is');
    log(`no libvdb checkout at ${path.resolve(PACKAGE_DIR, '..', '..')} and no vendor/: a package packed now could not build libvdb`);
    process.exit(1);
  }
  fs.rmSync(VENDOR_DIR, { recursive: true, force: true });
  for (const part of SOURCE_PARTS) {
    fs.cpSync(path.join(root, part), path.join(VENDOR_DIR, part), { recursive: true });
  }
  log(`copied ${SOURCE_PARTS.join(', ')} from ${root} into vendor/`);
}

function clean() {
  // Only what can be copied again: without a checkout, vendor/ is the only copy.
  if (checkoutRoot()) fs.rmSync(VENDOR_DIR, { recursive: true, force: true });
}

if (process.argv.includes('--clean')) clean();
else if (!process.argv.includes('--if-packing') || packing()) copy();
