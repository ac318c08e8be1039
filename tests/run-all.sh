#!/usr/bin/env bash
# Every test libvdb has, the README's test command and what CI runs:
#   1. the tools, installed when missing (.ci/install-deps.sh --tests --bindings)
#   2. the C unit tests in a normal build (build-release), the full-disk test on
#      a 1 MiB tmpfs (tests/full_disk.sh; SKIP without root), then under ASan+UBSan
#      (build-asan) and under TSan (build-tsan); then each libFuzzer target for
#      30 s under ASan+UBSan on its seed corpus (build-fuzz, tests/fuzz/run.sh)
#   3. the install check (pkg-config and find_package users), memcheck of the
#      quickstart and the CLI (valgrind), the CLI's own test (tests/cli)
#   4. the binding suites: Python, Node, LuaJIT, SWIG, the docs' examples, cross-language
# A failing stage does not stop the later ones, so a binding failure cannot
# hide the C suites' results; the end prints each stage's time and result,
# and the exit status is non-zero when any stage failed.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

names=() seconds=() results=()

# run_stage NAME COMMAND...: run COMMAND with errexit in a subshell, record time and result.
run_stage() {
    local name=$1 start=$SECONDS status
    shift
    echo
    echo "=== $name ==="
    set +e
    (set -e; "$@")
    status=$?
    set -e
    names+=("$name")
    seconds+=($((SECONDS - start)))
    if [ "$status" -eq 0 ]; then results+=(pass); else results+=("FAIL (exit $status)"); fi
}

# c_suite NAME CMAKE_ARGS...: configure and build build-NAME, run its ctest
# (prefixed by the caller's ctest_runner, if it sets one).
ctest_runner=()
c_suite() {
    local name=$1
    shift
    cmake -S . -B "build-$name" "$@" >/dev/null
    cmake --build "build-$name" -j "$jobs" >/dev/null
    "${ctest_runner[@]}" ctest --test-dir "build-$name" --output-on-failure
}

# TSan of GCC 12 (Debian 12) cannot map its shadow memory when the kernel
# randomizes mmap with more than 28 bits (vm.mmap_rnd_bits=32 on some recent
# kernels): "FATAL: ThreadSanitizer: unexpected memory mapping". The test
# processes then run with address randomization off (setarch -R), which fixes
# that without a sysctl change; with 28 bits or fewer nothing changes.
tsan_suite() {
    local bits ctest_runner=()
    bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
    if [ "$bits" -gt 28 ] && command -v setarch >/dev/null; then
        echo "vm.mmap_rnd_bits is $bits: the TSan tests run under setarch -R (no address randomization)"
        ctest_runner=(setarch "$(uname -m)" -R)
    fi
    c_suite tsan -DVDB_SANITIZE=thread
}

summary() {
    local i total=0 failed=0 width=22
    for i in "${!names[@]}"; do [ "${#names[$i]}" -le "$width" ] || width=${#names[$i]}; done
    echo
    echo "=== summary ==="
    printf '%-*s %8s  %s\n' "$width" stage seconds result
    for i in "${!names[@]}"; do
        printf '%-*s %8d  %s\n' "$width" "${names[$i]}" "${seconds[$i]}" "${results[$i]}"
        total=$((total + seconds[i]))
        [ "${results[$i]}" = pass ] || failed=$((failed + 1))
    done
    if [ "$failed" -eq 0 ]; then
        printf '%-*s %8d  %s\n' "$width" total "$total" "all ${#names[@]} stages passed"
    else
        printf '%-*s %8d  %s\n' "$width" total "$total" "FAIL: $failed of ${#names[@]} stages failed"
    fi
    [ "$failed" -eq 0 ]
}

run_stage "install tools" bash .ci/install-deps.sh --tests --bindings
run_stage "C release" c_suite release
run_stage "full disk (1 MiB tmpfs)" bash tests/full_disk.sh build-release
run_stage "C ASan+UBSan" c_suite asan -DVDB_SANITIZE="address;undefined"
run_stage "C TSan" tsan_suite
run_stage "fuzz (libFuzzer, 30 s per target)" bash tests/fuzz/run.sh 30 build-fuzz
run_stage "install check" bash tests/install/check_install.sh build-release
run_stage "valgrind" bash tests/valgrind.sh build-release
run_stage "CLI" bash tests/cli/run.sh build-release
run_stage "bindings" bash tests/run-bindings.sh build-release
summary
