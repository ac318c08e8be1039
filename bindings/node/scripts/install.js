'use strict';

// npm `install` script. Two jobs:
//
// 1. koffi. When npm links a folder (`npm install <folder>` with npm >= 9.4.2,
//    install-links=false) it installs none of that folder's dependencies, so
//    require('koffi') would fail. Then koffi is installed here, into this
//    folder's own node_modules, with the npm that runs this script.
// 2. libvdb. It builds the library with CMake into native/, so that
//    require('vdb') works without VDB_LIBRARY, from the first of:
//    $VDB_SOURCE_DIR, the checkout this package sits in (bindings/node), or
//    the sources a packed package carries in vendor/ (scripts/vendor.js).
//    A failed build never fails the install (the library may come from
//    VDB_LIBRARY or the system): it says why in native/BUILD_FAILED.txt, and
//    require('vdb') repeats that with what to do (lib/library.js).
//
//   VDB_LIBRARY=...              set: nothing to build
//   VDB_SKIP_NATIVE_BUILD=1      do not build
//   VDB_SOURCE_DIR=/path/libvdb  build from there
//   npm run rebuild-native       build again, replacing the bundled copy

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PACKAGE_DIR, NATIVE_DIR, BUILD_FAILED, VENDOR_DIR, SONAME, isSource, checkoutRoot } = require('../lib/paths.js');
const { VERSION_STRING } = require('../lib/ffi.generated.js');

const BUNDLED = path.join(NATIVE_DIR, SONAME);

function log(message) {
  process.stderr.write(`vdb install: ${message}\n`);
}

function giveUp(reason) {
  fs.mkdirSync(NATIVE_DIR, { recursive: true });
  fs.writeFileSync(BUILD_FAILED, `${reason}\n`);
  log(`${reason}`);
  log('require("vdb") will look for VDB_LIBRARY, the repository build folders and the system loader instead.');
  process.exit(0);
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { ok: false, output: `${command}: ${result.error.message}` };
  const output = `${result.stdout || ''}${result.stderr || ''}`;
  return { ok: result.status === 0, output };
}

function ensureKoffi() {
  try {
    require.resolve('koffi', { paths: [PACKAGE_DIR] });
    return;
  } catch {
    // not installed: npm linked this folder
  }
  const npm = process.env.npm_execpath;
  if (!npm) {
    log(`koffi is not installed; run \`npm install --prefix ${PACKAGE_DIR}\``);
    process.exit(1);
  }
  log(`npm linked this folder without installing its dependencies; installing them into ${path.join(PACKAGE_DIR, 'node_modules')}`);
  // The outer npm's settings say where *it* installs (-g, --prefix): drop
  // them, keep the rest (registry, cache, proxy).
  const env = { ...process.env };
  for (const key of ['global', 'location', 'prefix', 'local_prefix', 'global_prefix']) delete env[`npm_config_${key}`];
  // --ignore-scripts: this script would run again; koffi's own only checks
  // its prebuilt binary, which it loads from @koromix/koffi-<platform> anyway.
  const args = ['install', '--prefix', PACKAGE_DIR, '--omit=dev', '--ignore-scripts', '--no-package-lock', '--no-audit', '--no-fund'];
  const result = spawnSync(process.execPath, [npm, ...args], { env, stdio: 'inherit' });
  if (result.status !== 0) {
    log(`\`npm ${args.join(' ')}\` failed; require('vdb') needs koffi`);
    process.exit(1);
  }
}

function buildLibrary() {
  if (process.argv.includes('--force')) fs.rmSync(NATIVE_DIR, { recursive: true, force: true });
  if (fs.existsSync(BUNDLED)) {
    log(`${path.relative(PACKAGE_DIR, BUNDLED)} is already bundled`);
    return;
  }
  if (process.env.VDB_LIBRARY) {
    log(`VDB_LIBRARY is set (${process.env.VDB_LIBRARY}); nothing to bundle`);
    return;
  }
  if (process.env.VDB_SKIP_NATIVE_BUILD) {
    giveUp('VDB_SKIP_NATIVE_BUILD is set, so no libvdb was built into the package.');
  }
  // A checkout's own sources before vendor/, which an npm 9 folder install
  // may have left behind in it.
  const candidates = [process.env.VDB_SOURCE_DIR, checkoutRoot(), VENDOR_DIR];
  const source = candidates.find(isSource);
  if (!source) {
    giveUp(
      `no libvdb source tree found (looked in ${candidates.filter(Boolean).join(', ')}); ` +
        'set VDB_SOURCE_DIR to a libvdb checkout and run `npm rebuild vdb`.',
    );
  }
  const cmake = run('cmake', ['--version']);
  if (!cmake.ok) giveUp(`cmake is not available (${cmake.output.trim()}); install cmake and a C compiler, then run \`npm rebuild vdb\`.`);

  const failure = build(source);
  if (failure) giveUp(failure);
  fs.rmSync(BUILD_FAILED, { force: true });
  log(`bundled ${path.relative(PACKAGE_DIR, BUNDLED)}`);
}

// Build libvdb from source into native/; null, or why it failed.
function build(source) {
  const tail = (output) => output.trim().split('\n').slice(-20).join('\n');
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vdb-node-build-'));
  try {
    log(`building libvdb from ${source} in ${buildDir}`);
    const configure = run('cmake', [
      '-S', source, '-B', buildDir,
      '-DCMAKE_BUILD_TYPE=Release',
      '-DVDB_BUILD_TESTS=OFF', '-DVDB_BUILD_TOOLS=OFF', '-DVDB_BUILD_BENCH=OFF', '-DVDB_WERROR=OFF',
    ]);
    if (!configure.ok) return `cmake configure failed:\n${tail(configure.output)}`;
    const compile = run('cmake', ['--build', buildDir, '--target', 'vdb', '-j', String(Math.max(1, os.cpus().length))]);
    if (!compile.ok) return `cmake build failed:\n${tail(compile.output)}`;
    const built = path.join(buildDir, 'lib', SONAME);
    if (!fs.existsSync(built)) {
      const made = fs.readdirSync(path.dirname(built)).filter((name) => /^libvdb\.so\.\d+\.\d+$/.test(name));
      return `the build made ${made.join(', ') || 'no libvdb.so'}, not ${SONAME}: the sources are not the libvdb ` +
        `${VERSION_STRING} that lib/ffi.generated.js declares (regenerate it with tools/gen_bindings.py)`;
    }
    fs.mkdirSync(NATIVE_DIR, { recursive: true });
    fs.copyFileSync(fs.realpathSync(built), BUNDLED);
    // A copy bundled for an earlier version (native/libvdb.so.0.1 when this is
    // 0.2) is never loaded again: the loader looks only for SONAME.
    for (const name of fs.readdirSync(NATIVE_DIR)) {
      if (/^libvdb\.so\./.test(name) && name !== SONAME) fs.rmSync(path.join(NATIVE_DIR, name), { force: true });
    }
    return null;
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
}

ensureKoffi();
buildLibrary();
