#!/usr/bin/env bash
# Build the SWIG Tcl module from vdb.i against a libvdb:
#   bindings/swig/build.sh <out dir> <dir holding libvdb.so>
# writes <out dir>/vdb.so (load it with `load <out dir>/vdb.so vdb`).
# Needs swig, tcl-dev and a C compiler.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:?usage: build.sh <out dir> <libvdb dir>}"
lib_dir="${2:?usage: build.sh <out dir> <libvdb dir>}"

for tool in swig cc; do
    command -v "$tool" >/dev/null || { echo "swig/build.sh: $tool not found (apt-get install swig tcl-dev build-essential)" >&2; exit 2; }
done
tcl_include=""
for dir in /usr/include/tcl8.6 /usr/include/tcl /usr/include; do
    if [ -f "$dir/tcl.h" ]; then tcl_include="$dir"; break; fi
done
[ -n "$tcl_include" ] || { echo "swig/build.sh: tcl.h not found (apt-get install tcl-dev)" >&2; exit 2; }
[ -e "$lib_dir/libvdb.so" ] || { echo "swig/build.sh: no libvdb.so in $lib_dir" >&2; exit 2; }

mkdir -p "$out"
# uint64_t is unsigned long on LP64 Linux; SWIG's stdint.i must be told.
wordsize=$(getconf LONG_BIT 2>/dev/null || echo 64)
swig -tcl8 -namespace "-DSWIGWORDSIZE$wordsize" -I"$root/include" -o "$out/vdb_wrap.c" "$here/vdb.i"
cc -shared -fPIC -O2 -Wall -Wno-missing-braces -Werror -I"$root/include" -I"$tcl_include" \
    "$out/vdb_wrap.c" -o "$out/vdb.so" -L"$lib_dir" -lvdb -Wl,-rpath,"$lib_dir"
