'use strict';

// npm `install` script: bundle a libvdb into native/ so that require('vdb')
// works without VDB_LIBRARY. It builds the library with CMake from the
// libvdb source tree this package sits in (or $VDB_SOURCE_DIR, or the folder
// npm was run from). It never fails the install: when it cannot build, it
// says why in native/BUILD_FAILED.txt, and require('vdb') repeats that with
// what to do (lib/library.js).
//
//   VDB_LIBRARY=...              set: nothing to bundle, exit
//   VDB_SKIP_NATIVE_BUILD=1      do not build
//   VDB_SOURCE_DIR=/path/libvdb  where the sources are
//   npm run rebuild-native       replace the bundled copy

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PACKAGE_DIR = path.resolve(__dirname, '..');
const NATIVE_DIR = path.join(PACKAGE_DIR, 'native');
const BUILD_FAILED = path.join(NATIVE_DIR, 'BUILD_FAILED.txt');
const { VERSION_STRING } = require('../lib/ffi.generated.js');

function soname(versionString) {
  const [major, minor] = versionString.split('.');
  return major === '0' ? `libvdb.so.0.${minor}` : `libvdb.so.${major}`;
}
const SONAME = soname(VERSION_STRING);
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

function isSource(dir) {
  return (
    !!dir &&
    fs.existsSync(path.join(dir, 'include', 'vdb.h')) &&
    fs.existsSync(path.join(dir, 'CMakeLists.txt')) &&
    fs.existsSync(path.join(dir, 'lib'))
  );
}

function run(command, args) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return { ok: false, output: `${command}: ${result.error.message}` };
  const output = `${result.stdout || ''}${result.stderr || ''}`;
  return { ok: result.status === 0, output };
}

function main() {
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
  const candidates = [process.env.VDB_SOURCE_DIR, path.resolve(PACKAGE_DIR, '..', '..'), process.env.INIT_CWD];
  const source = candidates.find(isSource);
  if (!source) {
    giveUp(
      `no libvdb source tree found (looked in ${candidates.filter(Boolean).join(', ')}); ` +
        'set VDB_SOURCE_DIR to a libvdb checkout and run `npm rebuild vdb`.',
    );
  }
  const cmake = run('cmake', ['--version']);
  if (!cmake.ok) giveUp(`cmake is not available (${cmake.output.trim()}); install cmake and a C compiler, then run \`npm rebuild vdb\`.`);

  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vdb-node-build-'));
  try {
    log(`building libvdb from ${source} in ${buildDir}`);
    const configure = run('cmake', [
      '-S', source, '-B', buildDir,
      '-DCMAKE_BUILD_TYPE=Release',
      '-DVDB_BUILD_TESTS=OFF', '-DVDB_BUILD_TOOLS=OFF', '-DVDB_BUILD_BENCH=OFF', '-DVDB_WERROR=OFF',
    ]);
    if (!configure.ok) giveUp(`cmake configure failed:\n${configure.output.trim().split('\n').slice(-20).join('\n')}`);
    const build = run('cmake', ['--build', buildDir, '--target', 'vdb', '-j', String(Math.max(1, os.cpus().length))]);
    if (!build.ok) giveUp(`cmake build failed:\n${build.output.trim().split('\n').slice(-20).join('\n')}`);
    const built = path.join(buildDir, 'lib', SONAME);
    if (!fs.existsSync(built)) giveUp(`the build did not produce ${SONAME} in ${path.dirname(built)}`);
    fs.mkdirSync(NATIVE_DIR, { recursive: true });
    fs.copyFileSync(fs.realpathSync(built), BUNDLED);
    fs.rmSync(BUILD_FAILED, { force: true });
    log(`bundled ${path.relative(PACKAGE_DIR, BUNDLED)}`);
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
}

main();
