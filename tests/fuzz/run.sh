#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan) and fuzz each for a while,
# starting from a copy of its seed corpus (corpus/<target>/, never written to):
#
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET] [BUILD_DIR]    (defaults 30, build-fuzz)
#
# The targets are those tests/fuzz/CMakeLists.txt lists. One summary line per
# target: seconds, inputs executed, result. A crash, leak, sanitizer report,
# timeout or out-of-memory is a finding: its input and the fuzzer's log are
# kept in BUILD_DIR/fuzz-findings/<time>/<target>/ and the exit status is 1.
# CMAKE_BUILD_PARALLEL_LEVEL sets the build's jobs (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
build=${2:-build-fuzz}
case $seconds in '' | *[!0-9]*) echo "run.sh: SECONDS_PER_TARGET must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
source tests/fuzz/build.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/vdb-fuzz-run.XXXXXX")
# The files a target writes while it runs (its input as a file; fuzz_journal's
# index and journal) go to a tmpfs when there is one: fuzz_journal commits, and
# each fsync on a disk costs milliseconds, on a tmpfs nothing.
files_root=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && files_root=/dev/shm
files=$(mktemp -d "$files_root/vdb-fuzz-files.XXXXXX")
trap 'rm -rf "$work" "$files"' EXIT
findings=$(cd "$build" && pwd)/fuzz-findings/$(date +%Y%m%d-%H%M%S)
lines=() failed=0

for target in "${targets[@]}"; do
    seeds=tests/fuzz/corpus/$target
    if ! compgen -G "$seeds/*" >/dev/null; then
        lines+=("$(printf '%-14s %8s %12s  %s' "$target" - - "FAIL: no seed corpus in $seeds")")
        failed=1
        continue
    fi
    mkdir -p "$work/$target/corpus" "$work/$target/artifacts" "$files/$target"
    cp "$seeds"/* "$work/$target/corpus/"
    log=$work/$target/log
    echo "--- $target: $seconds s ---"
    start=$SECONDS
    set +e
    TMPDIR=$files/$target "$build/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
        -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" >"$log" 2>&1
    status=$?
    set -e
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [ "$status" -eq 0 ]; then
        result=pass
        grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | cut -c1-100 || true
    else
        failed=1
        mkdir -p "$findings/$target"
        cp "$log" "$findings/$target/fuzz.log"
        cp "$work/$target/artifacts"/* "$findings/$target/" 2>/dev/null || true
        result="FAIL (exit $status): $findings/$target"
        # The report (the sanitizer's, libFuzzer's or the target's own) up to its SUMMARY line.
        awk '/^==[0-9]*==|runtime error|^fuzz_[a-z]*: |libFuzzer: / { on = 1 } on { print } on && /^SUMMARY: / { exit }' \
            "$log" | head -n 60 || true
        echo "kept in $findings/$target: $(cd "$findings/$target" && echo *)"
    fi
    lines+=("$(printf '%-14s %8d %12s  %s' "$target" $((SECONDS - start)) "${execs:-?}" "$result")")
done

echo
printf '%-14s %8s %12s  %s\n' target seconds executions result
printf '%s\n' "${lines[@]}"
exit "$failed"
