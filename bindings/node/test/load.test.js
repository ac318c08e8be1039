'use strict';

// How require('vdb') finds libvdb, and what it says when it cannot. Each
// case runs in a child process, on a copy of the package where needed.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { scratchDir } = require('./helpers.js');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const { libraryPath } = require('..');
// The node_modules folder that holds koffi, for NODE_PATH in the copies.
const KOFFI_DIR = (() => {
  let dir = path.dirname(require.resolve('koffi'));
  while (path.basename(dir) !== 'koffi') dir = path.dirname(dir);
  return path.dirname(dir);
})();

// Run `node -e script` in dir with env (on top of a clean environment).
function node(dir, script, env = {}) {
  const base = { PATH: path.dirname(process.execPath), HOME: process.env.HOME || '/tmp', NODE_PATH: KOFFI_DIR };
  const result = spawnSync(process.execPath, ['-e', script], { cwd: dir, env: { ...base, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// A copy of the package outside the repository: no bundled library, no build folders near it.
function copyPackage(scratch, dir = path.join(scratch.dir, 'vdb')) {
  for (const part of ['lib', 'scripts', 'package.json']) {
    fs.cpSync(path.join(PACKAGE_DIR, part), path.join(dir, part), { recursive: true });
  }
  return dir;
}

// Run scripts/<name> of the package copy in dir, with env on top of a clean
// environment whose NODE_PATH finds koffi.
function script(dir, name, args = [], env = {}) {
  const base = { PATH: path.dirname(process.execPath), HOME: process.env.HOME || '/tmp', NODE_PATH: KOFFI_DIR };
  return spawnSync(process.execPath, [path.join('scripts', name), ...args], { cwd: dir, env: { ...base, ...env }, encoding: 'utf8' });
}

const REPORT = `
try {
  const vdb = require('./');
  console.log(JSON.stringify({ ok: true, libraryPath: vdb.libraryPath, version: vdb.version }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, code: err.code, message: err.message }));
}`;

function report(dir, env) {
  const out = node(dir, REPORT, env);
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

test('VDB_LIBRARY comes first', () => {
  const got = report(PACKAGE_DIR, { VDB_LIBRARY: libraryPath });
  assert.equal(got.ok, true, got.message);
  assert.equal(got.libraryPath, libraryPath);
});

test('a VDB_LIBRARY that does not load is an error that names it', () => {
  const got = report(PACKAGE_DIR, { VDB_LIBRARY: '/nonexistent/libvdb.so' });
  assert.equal(got.ok, false);
  assert.equal(got.code, 'VDB_ENOLIB');
  assert.match(got.message, /VDB_LIBRARY=\/nonexistent\/libvdb\.so cannot be loaded/);
});

test('without a bundled copy or build folder, the system loader is used', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  const got = report(dir, { LD_LIBRARY_PATH: path.dirname(libraryPath) });
  assert.equal(got.ok, true, got.message);
  assert.match(got.libraryPath, /^libvdb\.so\.0\.\d+$/);
});

test('when nothing is found, the error says why the install could not bundle it and what to do', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  // The install script with no libvdb sources to build from.
  const install = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: dir,
    env: { PATH: path.dirname(process.execPath), NODE_PATH: KOFFI_DIR },
    encoding: 'utf8',
  });
  assert.equal(install.status, 0, 'the install script never fails the install');
  assert.match(install.stderr, /no libvdb source tree found/);
  assert.ok(fs.existsSync(path.join(dir, 'native', 'BUILD_FAILED.txt')));

  const got = report(dir, {});
  assert.equal(got.ok, false);
  assert.equal(got.code, 'VDB_ENOLIB');
  assert.match(got.message, /cannot find libvdb/);
  assert.match(got.message, /no libvdb source tree found/);
  assert.match(got.message, /set VDB_LIBRARY=/);
  assert.match(got.message, /npm rebuild vdb/);
});

test('the install script reports a missing cmake', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  const bin = path.join(scratch.dir, 'bin'); // a PATH with node and nothing else
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const install = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: dir,
    env: { PATH: bin, NODE_PATH: KOFFI_DIR, VDB_SOURCE_DIR: path.resolve(PACKAGE_DIR, '..', '..') },
    encoding: 'utf8',
  });
  assert.equal(install.status, 0);
  const why = fs.readFileSync(path.join(dir, 'native', 'BUILD_FAILED.txt'), 'utf8');
  assert.match(why, /cmake is not available/);
});

test('a library of another version is refused at load time', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  const generated = path.join(dir, 'lib', 'ffi.generated.js');
  const text = fs.readFileSync(generated, 'utf8');
  assert.match(text, /const VERSION = \d+;/);
  fs.writeFileSync(generated, text.replace(/const VERSION = \d+;/, 'const VERSION = 99;'));
  const got = report(dir, { VDB_LIBRARY: libraryPath });
  assert.equal(got.ok, false);
  assert.equal(got.code, 'VDB_EVERSION');
  assert.match(got.message, /generated for .* \(99\)/);
});

test('the install script builds and bundles libvdb when cmake is there', (t) => {
  const cmake = spawnSync('cmake', ['--version']);
  if (cmake.error) {
    t.skip('cmake is not installed');
    return;
  }
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  // A copy an earlier version bundled: the loader never takes it, and the build removes it.
  const { SONAME } = require('../lib/paths.js');
  const stale = path.join(dir, 'native', SONAME === 'libvdb.so.0.1' ? 'libvdb.so.0.0' : 'libvdb.so.0.1');
  fs.mkdirSync(path.dirname(stale));
  fs.writeFileSync(stale, 'an old library');
  const install = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: KOFFI_DIR, VDB_LIBRARY: '', VDB_SOURCE_DIR: path.resolve(PACKAGE_DIR, '..', '..') },
    encoding: 'utf8',
  });
  assert.equal(install.status, 0, install.stderr);
  assert.match(install.stderr, /bundled native\/libvdb\.so\.0\.\d+/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'native')), [SONAME]);
  const got = report(dir, {});
  assert.equal(got.ok, true, got.message);
  assert.equal(got.libraryPath, path.join(dir, 'native', path.basename(got.libraryPath)));
});

// A fake libvdb source tree: it passes the install script's check, and CMake
// stops at once with a message naming the tree, so nothing is compiled.
function fakeSources(dir, name) {
  for (const part of ['include', 'lib', 'cmake']) fs.mkdirSync(path.join(dir, part), { recursive: true });
  fs.writeFileSync(path.join(dir, 'include', 'vdb.h'), '');
  fs.writeFileSync(path.join(dir, 'CMakeLists.txt'), `message(FATAL_ERROR "building from ${name}")\n`);
}

// cmake on PATH, and a TMPDIR of the test's own, to see that no build folder is left.
function buildEnv(scratch) {
  fs.mkdirSync(scratch.file('tmp'), { recursive: true });
  return { PATH: process.env.PATH, TMPDIR: scratch.file('tmp') };
}

test('a copy with no checkout around it builds from the sources it carries in vendor/', (t) => {
  const cmake = spawnSync('cmake', ['--version']);
  if (cmake.error) {
    t.skip('cmake is not installed');
    return;
  }
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch, path.join(scratch.dir, 'app', 'node_modules', 'vdb'));
  fakeSources(path.join(dir, 'vendor'), 'the vendored copy');
  const install = script(dir, 'install.js', [], buildEnv(scratch));
  assert.equal(install.status, 0, install.stderr);
  assert.match(install.stderr, new RegExp(`building libvdb from ${path.join(dir, 'vendor')}`));
  assert.match(fs.readFileSync(path.join(dir, 'native', 'BUILD_FAILED.txt'), 'utf8'), /building from the vendored copy/);
  assert.deepEqual(fs.readdirSync(scratch.file('tmp')), [], 'a failed build leaves no build folder');
});

test('in a checkout, the install script builds from the checkout, not a stale vendor/', (t) => {
  const cmake = spawnSync('cmake', ['--version']);
  if (cmake.error) {
    t.skip('cmake is not installed');
    return;
  }
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const root = path.join(scratch.dir, 'libvdb');
  const dir = copyPackage(scratch, path.join(root, 'bindings', 'node'));
  fakeSources(root, 'the checkout');
  fakeSources(path.join(dir, 'vendor'), 'the vendored copy');
  const install = script(dir, 'install.js', [], buildEnv(scratch));
  assert.equal(install.status, 0, install.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'native', 'BUILD_FAILED.txt'), 'utf8'), /building from the checkout/);
  assert.deepEqual(fs.readdirSync(scratch.file('tmp')), []);
});

test('vendor.js copies the library sources only when npm packs the folder', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const root = path.join(scratch.dir, 'libvdb');
  const dir = copyPackage(scratch, path.join(root, 'bindings', 'node'));
  fakeSources(root, 'the checkout');
  const vendored = path.join(dir, 'vendor', 'CMakeLists.txt');

  // A plain `npm install` here, and npm linking the folder ("null"): nothing is packed.
  for (const env of [{}, { npm_command: 'install' }, { npm_command: 'install', npm_package_resolved: 'null' }]) {
    const run = script(dir, 'vendor.js', ['--if-packing'], env);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(fs.existsSync(vendored), false, JSON.stringify(env));
  }
  // npm pack, and pacote preparing the folder before it packs it (npm 9.0 to 9.4.1).
  for (const env of [{ npm_command: 'pack' }, { npm_command: 'install', npm_package_resolved: dir }]) {
    const run = script(dir, 'vendor.js', ['--if-packing'], env);
    assert.equal(run.status, 0, run.stderr);
    assert.match(fs.readFileSync(vendored, 'utf8'), /the checkout/, JSON.stringify(env));
    fs.writeFileSync(path.join(root, 'CMakeLists.txt'), 'changed\n');
    assert.equal(script(dir, 'vendor.js').status, 0);
    assert.equal(fs.readFileSync(vendored, 'utf8'), 'changed\n', 'each copy is made afresh');
    fakeSources(root, 'the checkout');
    assert.equal(script(dir, 'vendor.js', ['--clean']).status, 0);
    assert.equal(fs.existsSync(path.join(dir, 'vendor')), false);
  }
});

test('vendor.js outside a checkout keeps the vendor/ a tarball brought, and fails without one', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  const none = script(dir, 'vendor.js', [], { npm_command: 'pack' });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no libvdb checkout .* and no vendor\//);
  fakeSources(path.join(dir, 'vendor'), 'the tarball');
  assert.equal(script(dir, 'vendor.js', [], { npm_command: 'pack' }).status, 0);
  assert.equal(script(dir, 'vendor.js', ['--clean']).status, 0);
  assert.match(fs.readFileSync(path.join(dir, 'vendor', 'CMakeLists.txt'), 'utf8'), /the tarball/);
});

// A stand-in for npm-cli.js: records how it was called, then exits with code.
function fakeNpm(scratch, code) {
  const file = path.join(scratch.dir, 'npm-cli.js');
  const record = path.join(scratch.dir, 'npm-call.json');
  fs.writeFileSync(
    file,
    `require('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), env: process.env }));\n` +
      `process.exit(${code});\n`,
  );
  return { file, call: () => JSON.parse(fs.readFileSync(record, 'utf8')) };
}

test('a linked folder without koffi gets it from the npm that runs the install script', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  const npm = fakeNpm(scratch, 0);
  // What npm exports when it links a folder with `npm install -g <folder>`.
  const outer = { npm_config_global: 'true', npm_config_prefix: '/usr', npm_config_local_prefix: '/app', npm_config_cache: '/cache' };
  const install = script(dir, 'install.js', [], { NODE_PATH: '', npm_execpath: npm.file, VDB_SKIP_NATIVE_BUILD: '1', ...outer });
  assert.equal(install.status, 0, install.stderr);
  assert.match(install.stderr, /npm linked this folder without installing its dependencies/);
  const { argv, env } = npm.call();
  assert.deepEqual(argv.slice(0, 3), ['install', '--prefix', dir]);
  assert.ok(argv.includes('--ignore-scripts'), 'the install script must not run again');
  assert.ok(argv.includes('--no-package-lock'));
  assert.equal(env.npm_config_global, undefined);
  assert.equal(env.npm_config_prefix, undefined);
  assert.equal(env.npm_config_local_prefix, undefined);
  assert.equal(env.npm_config_cache, '/cache', 'the rest of the settings are kept');
});

test('without koffi, the install script fails and says what to run', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  const failing = script(dir, 'install.js', [], { NODE_PATH: '', npm_execpath: fakeNpm(scratch, 1).file });
  assert.equal(failing.status, 1);
  assert.match(failing.stderr, /failed; require\('vdb'\) needs koffi/);
  const outsideNpm = script(dir, 'install.js', [], { NODE_PATH: '' });
  assert.equal(outsideNpm.status, 1);
  assert.match(outsideNpm.stderr, new RegExp(`koffi is not installed; run \`npm install --prefix ${dir}\``));
});

test('require without koffi says why and what to do', (t) => {
  const scratch = scratchDir();
  t.after(() => scratch.remove());
  const dir = copyPackage(scratch);
  const got = report(dir, { NODE_PATH: '' });
  assert.equal(got.ok, false);
  assert.equal(got.code, 'VDB_ENOLIB');
  assert.match(got.message, /koffi is not installed/);
  assert.match(got.message, /npm rebuild vdb/);
});
