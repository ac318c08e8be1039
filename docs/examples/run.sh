#!/usr/bin/env bash
# Run every example in docs/examples against one build of libvdb:
#
#   bash docs/examples/run.sh [BUILD_DIR]        (default build-release)
#   VDB_PYTHON=build-venv/bin/python bash docs/examples/run.sh build-release
#
# Each language has two examples: quickstart.* (create, add, search, save,
# open) and changes.* (open writable, delete, upsert, get, filtered search,
# save in place); a changes example takes the index path as its argument.
# C:      quickstart.c and changes.c, compiled with cc against BUILD_DIR/lib (rpath set).
# Python: quickstart.py and seed_example.py with $VDB_PYTHON (default python3),
#         which must have the `vdb` package installed (pip install ./bindings/python).
#         That package loads the libvdb it bundles, not BUILD_DIR's.
# Node:   quickstart.js; require('vdb') resolves to bindings/node through NODE_PATH
#         (npm install --prefix bindings/node first, for koffi).
# Lua:    quickstart.lua with LUA_PATH="bindings/lua/?.lua;;" luajit.
# Tcl:    quickstart.tcl with the SWIG module built by bindings/swig/build.sh.
# Node and Lua load BUILD_DIR's library through VDB_LIBRARY; VDB_LIB_DIR is
# set for the SWIG scripts. A missing tool counts as a failure. Last, it checks
# that each page in docs/ shows its example exactly as the file is.
# The last line is "N passed, N failed"; the exit status is non-zero on failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

build="${1:-build-release}"
[ -d "$build" ] || [[ "$build" == /* ]] || build="$root/$build"   # relative: from here, else from the root
lib_dir="$build/lib"
if [ ! -e "$lib_dir/libvdb.so" ]; then
    echo "run.sh: no libvdb.so in $lib_dir (build it: cmake -B build-release -DCMAKE_BUILD_TYPE=Release && cmake --build build-release)"
    echo "0 passed, 1 failed"
    exit 1
fi
lib_dir="$(cd "$lib_dir" && pwd)"
export VDB_LIBRARY="$lib_dir/$(readlink "$lib_dir/libvdb.so")" VDB_LIB_DIR="$lib_dir"  # the soname
python="${VDB_PYTHON:-python3}"
# A relative path (build-venv/bin/python) is taken from the caller's folder.
[[ "$python" == */* && -x "$python" ]] && python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"

passed=0 failed=0
# run <name> <command...>: the command's output, indented, then ok or FAIL.
run() {
    local name="$1"; shift
    local log="$work/$name.log"
    "$@" >"$log" 2>&1
    local status=$?
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name (exit $status)"
    fi
    sed 's/^/       /' "$log"
}
missing() {
    failed=$((failed + 1)); echo "FAIL $1: $2"
}

# C
if command -v cc >/dev/null; then
    run c-build cc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/include" "$here/quickstart.c" -o "$work/quickstart" \
        -L"$lib_dir" -lvdb -Wl,-rpath,"$lib_dir"
    [ -x "$work/quickstart" ] && run c "$work/quickstart" "$work/c.vdb"
    run c-changes-build cc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/include" "$here/changes.c" \
        -o "$work/changes" -L"$lib_dir" -lvdb -Wl,-rpath,"$lib_dir"
    [ -x "$work/changes" ] && run c-changes "$work/changes" "$work/c-changes.vdb"
else
    missing c "cc not found (apt-get install build-essential)"
fi

# Python: the quickstart, and the seed's program (it writes vectors.bin into its
# working folder, so it runs in a scratch one; its 5 result lines are checked).
if "$python" -c 'import vdb, numpy' >/dev/null 2>&1; then
    run python "$python" "$here/quickstart.py"
    run python-changes "$python" "$here/changes.py" "$work/python-changes.vdb"
    mkdir -p "$work/seed"
    seed_example() {
        (cd "$work/seed" && "$python" "$here/seed_example.py") | tee "$work/seed.out" || return 1
        [ "$(grep -cE '^\([0-9]+, [0-9.e+-]+\)$' "$work/seed.out")" -eq 5 ] ||
            { echo "seed_example.py did not print 5 (id, distance) tuples"; return 1; }
    }
    run python-seed seed_example
else
    missing python "$python cannot import vdb and numpy (pip install ./bindings/python; or set VDB_PYTHON)"
fi

# Node
if command -v node >/dev/null && [ -d "$root/bindings/node/node_modules/koffi" ]; then
    mkdir -p "$work/node_path"
    ln -s "$root/bindings/node" "$work/node_path/vdb"
    run node env NODE_PATH="$work/node_path" node "$here/quickstart.js"
    run node-changes env NODE_PATH="$work/node_path" node "$here/changes.js" "$work/node-changes.vdb"
else
    missing node "node, or koffi in bindings/node/node_modules, not found (npm install --prefix bindings/node)"
fi

# Lua
if command -v luajit >/dev/null; then
    run lua env LUA_PATH="bindings/lua/?.lua;;" luajit "$here/quickstart.lua"
    run lua-changes env LUA_PATH="bindings/lua/?.lua;;" luajit "$here/changes.lua" "$work/lua-changes.vdb"
else
    missing lua "luajit not found (apt-get install luajit)"
fi

# Tcl through SWIG
if command -v swig >/dev/null && command -v tclsh >/dev/null; then
    run swig-build bash "$root/bindings/swig/build.sh" "$work/swig" "$lib_dir"
    [ -e "$work/swig/vdb.so" ] && run tcl tclsh "$here/quickstart.tcl" "$work/swig/vdb.so"
    [ -e "$work/swig/vdb.so" ] && run tcl-changes tclsh "$here/changes.tcl" "$work/swig/vdb.so" "$work/tcl-changes.vdb"
else
    missing tcl "swig or tclsh not found (apt-get install swig tcl-dev)"
fi

# Each page in docs/ shows its example in full: the copy there must be the file.
# usage: embedded <page> <fence language> <example file>
embedded() {
    local page="$1" lang="$2" file="$3" block
    rm -f "$work"/block.*
    awk -v lang="$lang" -v out="$work/block" '
        $0 == "```" lang { inside = 1; n++; f = out "." n; printf "" > f; next }
        inside && /^```/ { inside = 0; close(f); next }
        inside { print > f }' "$root/$page"
    for block in "$work"/block.*; do
        cmp -s "$block" "$here/$file" && return 0
    done
    echo "$page does not show docs/examples/$file as it is"
    return 1
}
run docs-c embedded docs/c.md c quickstart.c
run docs-python embedded docs/python.md python quickstart.py
run docs-python-seed embedded docs/python.md python seed_example.py
run docs-node embedded docs/node.md js quickstart.js
run docs-lua embedded docs/lua.md lua quickstart.lua
run docs-tcl embedded docs/swig.md tcl quickstart.tcl
run docs-c-changes embedded docs/c.md c changes.c
run docs-python-changes embedded docs/python.md python changes.py
run docs-node-changes embedded docs/node.md js changes.js
run docs-lua-changes embedded docs/lua.md lua changes.lua
run docs-tcl-changes embedded docs/swig.md tcl changes.tcl

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
