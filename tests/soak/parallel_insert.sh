#!/usr/bin/env bash
# Run the parallel-insertion reachability tests many times, with every core
# also kept busy by spinning processes, so that worker threads lose their
# cores mid-insert as they do on a loaded machine. Not part of the test
# command: the figures go in the notes of the work that needs them.
#
#   bash tests/soak/parallel_insert.sh [RUNS] [BUILD_DIR]    (defaults: 2000, build-release)
#
# BUILD_DIR may be a TSan build (-DVDB_SANITIZE=thread); its tests use the
# Criterion stand-in, which takes --filter=PATTERN the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-2000}
build_dir=${2:-build-release}
test_binary="$build_dir/tests/test_determinism"
[ -x "$test_binary" ] || { echo "no $test_binary: build $build_dir first" >&2; exit 1; }

spinners=()
stop_spinners() { [ ${#spinners[@]} -eq 0 ] || kill "${spinners[@]}" 2>/dev/null || true; }
trap stop_spinners EXIT
for _ in $(seq "$(nproc)"); do
    (while :; do :; done) &
    spinners+=($!)
done

failures=0
started=$SECONDS
for run in $(seq "$runs"); do
    if ! output=$("$test_binary" --filter='concurrency/parallel_*' 2>&1); then
        failures=$((failures + 1))
        printf 'run %d failed:\n%s\n' "$run" "$output"
    fi
    if [ $((run % 100)) -eq 0 ]; then
        printf '%d runs, %d failed, %d s\n' "$run" "$failures" $((SECONDS - started))
    fi
done
printf 'parallel_insert: %d runs of concurrency::parallel_{add,build}_reaches_every_node, %d failed, %d s, under load from %d spinning processes (%s)\n' \
    "$runs" "$failures" $((SECONDS - started)) "${#spinners[@]}" "$test_binary"
[ "$failures" -eq 0 ]
