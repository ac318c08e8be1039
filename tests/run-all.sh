#!/usr/bin/env bash
# Every test libvdb has: the C unit tests in a normal build, the install
# check (pkg-config and find_package users), memcheck of the quickstart and
# the CLI, the binding suites for Python,
# Node, LuaJIT and SWIG, then the C unit tests again under ASan+UBSan and
# under TSan. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh --tests
jobs=$(nproc)

run_suite() {
    local name=$1
    shift
    echo "=== $name build ==="
    cmake -S . -B "build-$name" "$@" >/dev/null
    cmake --build "build-$name" -j "$jobs" >/dev/null
    ctest --test-dir "build-$name" --output-on-failure
}

run_suite release
bash tests/install/check_install.sh build-release
bash tests/valgrind.sh build-release
bash tests/run-bindings.sh build-release
run_suite asan -DVDB_SANITIZE="address;undefined"
run_suite tsan -DVDB_SANITIZE=thread
echo "=== all suites passed ==="
