#!/usr/bin/env bash
# The binding suites against one build of libvdb: Python (pytest), Node
# (node --test, with the raw ffi-napi example), LuaJIT, SWIG/Tcl, and the
# cross-language check that all of them return what C returns.
#   bash tests/run-bindings.sh [BUILD_DIR]     (default build-release, configured if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build_dir=${1:-build-release}
bash .ci/install-deps.sh --bindings

if [ ! -e "$build_dir/lib/libvdb.so" ]; then
    cmake -S . -B "$build_dir" >/dev/null
    cmake --build "$build_dir" -j "$(nproc)" --target vdb >/dev/null
fi
lib_dir=$(cd "$build_dir/lib" && pwd)
# libvdb.so links to the soname (libvdb.so.0.MINOR), which is what the bindings load.
export VDB_LIBRARY="$lib_dir/$(readlink "$lib_dir/libvdb.so")" VDB_LIB_DIR="$lib_dir"
# node-gyp builds the ffi-napi example addon against the installed Node headers
# (Debian's libnode-dev, or those a nodesource or nvm Node ships beside itself),
# so nothing is downloaded from nodejs.org.
if command -v node >/dev/null; then
    node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    for dir in "$node_prefix" /usr; do
        if [ -f "$dir/include/node/node_api.h" ]; then
            export npm_config_nodedir=$dir
            break
        fi
    done
fi

echo "=== Python ==="
python3 -m venv build-venv
build-venv/bin/pip install -q --disable-pip-version-check numpy cffi pytest pycparser "ray[data]"
build-venv/bin/pip install -q --disable-pip-version-check ./bindings/python
(cd /tmp && "$root/build-venv/bin/python" -m pytest "$root/bindings/python/tests" -q)

echo "=== Node ==="
npm install --prefix bindings/node --no-audit --no-fund --loglevel=error
npm install --prefix bindings/node/examples --no-audit --no-fund --loglevel=error
npm test --prefix bindings/node
# Into a new app outside the repository, from the folder and from an npm pack
# tarball, with this npm and npm 9.2.0 (Debian 12's); each builds libvdb.
bash bindings/node/test/install-into-app.sh

echo "=== LuaJIT ==="
LUA_PATH="bindings/lua/?.lua;;" luajit bindings/lua/test.lua

echo "=== SWIG (Tcl) ==="
bash bindings/swig/test.sh

echo "=== the documentation's examples ==="
VDB_PYTHON="$root/build-venv/bin/python" bash docs/examples/run.sh "$build_dir"

echo "=== the same answers from every language ==="
PATH="$root/build-venv/bin:$PATH" VDB_CROSS_REQUIRE="python node lua swig" bash bindings/cross/run.sh
