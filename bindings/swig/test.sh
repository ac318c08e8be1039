#!/usr/bin/env bash
# Build the SWIG Tcl module (build.sh) and run test.tcl with it.
#   VDB_LIB_DIR=dir  use the libvdb.so in dir (default: build one in build-bindings/)
# Needs swig, tcl-dev (tclsh 8.6), a C compiler and cmake.
# The last line is "N passed, N failed"; the exit status is non-zero on failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

command -v tclsh >/dev/null || { echo "swig/test.sh: tclsh not found (apt-get install tcl-dev)" >&2; exit 2; }
lib_dir="${VDB_LIB_DIR:-}"
if [ -z "$lib_dir" ]; then
    lib_dir="$root/build-bindings/lib"
    cmake -S "$root" -B "$root/build-bindings" -DVDB_BUILD_TESTS=OFF -DVDB_BUILD_TOOLS=OFF -DVDB_BUILD_BENCH=OFF >/dev/null
    cmake --build "$root/build-bindings" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bash "$here/build.sh" "$work" "$lib_dir"
tclsh "$here/test.tcl" "$work/vdb.so" "$work"
