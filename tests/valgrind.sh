#!/usr/bin/env bash
# Runs the quickstart and every vdb command on small data under valgrind's
# memcheck: any invalid access or any leaked block fails the run. Between
# them they reach every public function, with worker threads.
#   bash tests/valgrind.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "${1:?usage: valgrind.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

memcheck() {
    echo "valgrind: $*"
    valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 "$@" >/dev/null
}

cc -std=c11 -g -I"$root/include" -o "$work/quickstart" "$root/docs/examples/quickstart.c" \
    -L"$build_dir/lib" -lvdb -Wl,-rpath,"$build_dir/lib"
memcheck "$work/quickstart" "$work/quickstart.vdb"

vdb="$build_dir/tools/vdb"
memcheck "$vdb" gen "$work/data.npy" --count 1500 --dim 24 --kind clustered --clusters 10
memcheck "$vdb" build "$work/data.npy" "$work/data.vdb" --m 8 --ef-construction 40 --threads 2
memcheck "$vdb" search "$work/data.vdb" "$work/data.npy" --k 5
memcheck "$vdb" info "$work/data.vdb"
memcheck "$vdb" verify "$work/data.vdb"
memcheck "$vdb" bench "$work/data.npy" --count 1400 --queries "$work/data.npy" --query-first 1400 --k 5 \
    --ef 16,64 --m 8 --ef-construction 40 --threads 2
memcheck "$vdb" bench "$work/data.vdb" --vectors "$work/data.npy" --nq 50 --k 5 --ef 32
# A failing command must fail cleanly too: exit 1 from vdb, not 99 from valgrind.
status=0
memcheck "$vdb" verify "$work/missing.vdb" 2>/dev/null || status=$?
if [ "$status" -ne 1 ]; then
    echo "valgrind: verify of a missing file exited $status, expected 1" >&2
    exit 1
fi
echo "valgrind: no errors, no leaks"
