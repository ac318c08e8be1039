#!/usr/bin/env bash
# Installs a build into a scratch prefix and builds the quickstart the ways
# users will: pkg-config with -lvdb and with the static archive (Libs.private),
# and CMake's find_package(vdb) with vdb::vdb and vdb::vdb_static.
set -euo pipefail
build_dir=${1:?usage: check_install.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
libdir=$(find "$work/prefix" -name libvdb.so -printf '%h\n' | head -n 1)
export PKG_CONFIG_PATH="$libdir/pkgconfig"

# shellcheck disable=SC2046 # pkg-config output is meant to split into flags
cc -std=c11 -Wall -Wextra -Werror -o "$work/quickstart_pc" "$root/docs/examples/quickstart.c" \
    $(pkg-config --cflags --libs vdb)
LD_LIBRARY_PATH="$libdir" "$work/quickstart_pc" "$work/pc.vdb"

# A static user: the archive in place of -lvdb, and what Libs.private names (threads, libm, liburing).
static_libs=$(pkg-config --static --libs vdb)
# shellcheck disable=SC2046,SC2086 # flags are meant to split
cc -std=c11 -Wall -Wextra -Werror -o "$work/quickstart_pc_static" "$root/docs/examples/quickstart.c" \
    $(pkg-config --cflags vdb) ${static_libs/-lvdb/$libdir/libvdb.a}
"$work/quickstart_pc_static" "$work/pc_static.vdb"

cmake -S "$root/tests/install" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DQUICKSTART_SOURCE="$root/docs/examples/quickstart.c" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/quickstart" "$work/cmake.vdb"
"$work/consumer/quickstart_static" "$work/cmake_static.vdb"

echo "install check: pkg-config and find_package(vdb) builds, shared and static, all ran"
