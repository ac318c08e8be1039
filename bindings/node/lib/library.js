'use strict';

// Finds and loads libvdb, and declares its functions from the generated
// koffi declarations (ffi.generated.js, made by tools/gen_bindings.py).
//
// Lookup order, first that loads and has the version the declarations were
// generated for:
//   1. $VDB_LIBRARY (a path; if set it must work, nothing else is tried)
//   2. the copy bundled by the install script: native/libvdb.so.0.MINOR
//   3. the build folders of the checkout this package sits in:
//      ../../build*/lib/libvdb.so.0.MINOR (sanitizer builds are skipped:
//      they abort a plain node when loaded)
//   4. the system loader: libvdb.so.0.MINOR

const fs = require('node:fs');
const path = require('node:path');
const declare = require('./ffi.generated.js');
const { PACKAGE_DIR, NATIVE_DIR, BUILD_FAILED, SONAME, soname, checkoutRoot } = require('./paths.js');

// npm links a folder dependency (npm >= 9.4.2) without installing its
// dependencies; the install script then installs koffi, unless scripts were
// skipped. Say so, rather than "Cannot find module 'koffi'".
function requireKoffi() {
  try {
    return require('koffi');
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND' || !/'koffi'/.test(err.message)) throw err;
    const wrapped = new Error(
      `vdb: koffi is not installed where ${PACKAGE_DIR} can find it (npm installs no dependencies ` +
        'of a folder it links; the install script of this package does, and it did not run). ' +
        `Run \`npm rebuild vdb\` in your project, or \`npm install --prefix ${PACKAGE_DIR}\`.`,
      { cause: err },
    );
    wrapped.code = 'VDB_ENOLIB';
    throw wrapped;
  }
}
const koffi = requireKoffi();

// A sanitizer build names its runtime (libasan.so.8, libtsan.so.2, ...) among
// its DT_NEEDED strings; dlopen()ing it into node aborts the process.
function isSanitizerBuild(file) {
  try {
    return /lib(?:a|t|ub|hwa|l)san\.so/.test(fs.readFileSync(file).toString('latin1'));
  } catch {
    return false;
  }
}

function buildDirCandidates() {
  const root = checkoutRoot();
  if (!root) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('build'))
    .map((e) => path.join(root, e.name, 'lib', SONAME))
    .filter((file) => fs.existsSync(file))
    .sort();
}

function attempt(spec, tried, { checkVersion }) {
  let lib;
  try {
    lib = koffi.load(spec);
  } catch (err) {
    tried.push(`${spec}: ${err.message}`);
    return null;
  }
  let api;
  try {
    api = declare(koffi, lib);
  } catch (err) {
    tried.push(`${spec}: loaded, but its functions do not match vdb.h: ${err.message}`);
    return null;
  }
  const running = api.functions.vdb_version_number();
  if (running !== api.version) {
    const what =
      `${spec} is libvdb ${api.functions.vdb_version_string()} (${running}) but these ` +
      `declarations were generated for ${api.versionString} (${api.version})`;
    if (checkVersion === 'skip') {
      tried.push(`${what}; skipped`);
      return null;
    }
    const err = new Error(`vdb: ${what}. Load a matching libvdb or regenerate with tools/gen_bindings.py.`);
    err.code = 'VDB_EVERSION';
    throw err;
  }
  return { api, path: spec };
}

function load() {
  const tried = [];
  const explicit = process.env.VDB_LIBRARY;
  if (explicit) {
    const found = attempt(explicit, tried, { checkVersion: 'throw' });
    if (found) return found;
    const err = new Error(`vdb: VDB_LIBRARY=${explicit} cannot be loaded: ${tried[0]}`);
    err.code = 'VDB_ENOLIB';
    throw err;
  }

  const bundled = path.join(NATIVE_DIR, SONAME);
  if (fs.existsSync(bundled)) {
    const found = attempt(bundled, tried, { checkVersion: 'skip' });
    if (found) return found;
  } else {
    tried.push(`${bundled}: not bundled`);
  }

  for (const file of buildDirCandidates()) {
    if (isSanitizerBuild(file)) {
      tried.push(`${file}: a sanitizer build; skipped`);
      continue;
    }
    const found = attempt(file, tried, { checkVersion: 'skip' });
    if (found) return found;
  }

  const found = attempt(SONAME, tried, { checkVersion: 'throw' });
  if (found) return found;

  let why;
  try {
    why = `The install script could not build libvdb:\n  ${fs.readFileSync(BUILD_FAILED, 'utf8').trim().replace(/\n/g, '\n  ')}`;
  } catch {
    why = 'No libvdb was built into the package: its install script did not run (npm --ignore-scripts?), or VDB_LIBRARY was set when it did.';
  }
  const fixes = [
    'set VDB_LIBRARY=/path/to/libvdb.so',
    'install cmake and a C compiler, then run `npm rebuild vdb` (builds a copy into the package)',
  ];
  const root = checkoutRoot();
  if (root) fixes.push(`build the checkout: cmake -S ${root} -B ${path.join(root, 'build')} -DVDB_BUILD_TESTS=OFF && cmake --build ${path.join(root, 'build')}`);
  fixes.push(`install libvdb where the system loader finds ${SONAME}`);
  const err = new Error(
    `vdb: cannot find libvdb (${SONAME}).\n${why}\n` +
      `To fix, do one of:\n  - ${fixes.join('\n  - ')}\n` +
      `Tried:\n  ${tried.join('\n  ')}`,
  );
  err.code = 'VDB_ENOLIB';
  throw err;
}

module.exports = { load, soname, SONAME, NATIVE_DIR, BUILD_FAILED, PACKAGE_DIR, koffi };
