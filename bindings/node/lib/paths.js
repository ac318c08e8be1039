'use strict';

// Where things are, for the loader (library.js) and the npm scripts
// (scripts/*.js). It needs no koffi, so the install script can use it before
// koffi is installed.

const fs = require('node:fs');
const path = require('node:path');
const { VERSION_STRING } = require('./ffi.generated.js');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const NATIVE_DIR = path.join(PACKAGE_DIR, 'native');
const BUILD_FAILED = path.join(NATIVE_DIR, 'BUILD_FAILED.txt');
// The library's C sources, copied in when npm packs the package (scripts/vendor.js).
const VENDOR_DIR = path.join(PACKAGE_DIR, 'vendor');
// What CMake needs to build just the library (-DVDB_BUILD_TESTS=OFF etc.).
const SOURCE_PARTS = ['CMakeLists.txt', 'cmake', 'include', 'lib'];

// libvdb.so.MAJOR, or libvdb.so.0.MINOR before 1.0 (STYLE.md rule 11).
function soname(versionString) {
  const [major, minor] = versionString.split('.');
  return major === '0' ? `libvdb.so.0.${minor}` : `libvdb.so.${major}`;
}
const SONAME = soname(VERSION_STRING);

// A libvdb source tree: a checkout, or the copy in vendor/.
function isSource(dir) {
  if (!dir) return false;
  return SOURCE_PARTS.every((part) => fs.existsSync(path.join(dir, part))) && fs.existsSync(path.join(dir, 'include', 'vdb.h'));
}

// The libvdb checkout this package sits in (as <root>/bindings/node), or
// null when it is a copy somewhere else, e.g. in an app's node_modules.
function checkoutRoot() {
  const root = path.resolve(PACKAGE_DIR, '..', '..');
  return path.basename(path.dirname(PACKAGE_DIR)) === 'bindings' && isSource(root) ? root : null;
}

module.exports = { PACKAGE_DIR, NATIVE_DIR, BUILD_FAILED, VENDOR_DIR, SOURCE_PARTS, SONAME, soname, isSource, checkoutRoot };
