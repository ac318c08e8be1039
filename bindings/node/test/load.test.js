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
function copyPackage(scratch) {
  const dir = path.join(scratch.dir, 'vdb');
  for (const part of ['lib', 'scripts', 'package.json']) {
    fs.cpSync(path.join(PACKAGE_DIR, part), path.join(dir, part), { recursive: true });
  }
  return dir;
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
  const install = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: dir,
    env: { ...process.env, VDB_LIBRARY: '', VDB_SOURCE_DIR: path.resolve(PACKAGE_DIR, '..', '..') },
    encoding: 'utf8',
  });
  assert.equal(install.status, 0, install.stderr);
  assert.match(install.stderr, /bundled native\/libvdb\.so\.0\.\d+/);
  const got = report(dir, {});
  assert.equal(got.ok, true, got.message);
  assert.equal(got.libraryPath, path.join(dir, 'native', path.basename(got.libraryPath)));
});
