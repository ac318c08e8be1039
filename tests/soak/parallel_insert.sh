#!/usr/bin/env bash
# Run the parallel-insertion reachability tests many times, with every core
# also kept busy by spinning processes, so that worker threads lose their
# cores mid-insert as they do on a loaded machine. Not part of the test
# command: the figures go in the notes of the work that needs them.
#
#   bash tests/soak/parallel_insert.sh [RUNS] [BUILD_DIR]    (defaults: 2000, build-release)
#
# LOOPS=N runs the test binary in N loops at once (RUNS in all), SPINNERS=N
# sets the spinning processes (default: one per core). Under TSan a run
# keeps about one core busy, so LOOPS=2 SPINNERS=0 on 2 cores does twice the
# runs of the default in the same time, each run's 4 threads sharing the
# cores with the other loop's.
#
# BUILD_DIR may be a TSan build (-DVDB_SANITIZE=thread); its tests use the
# Criterion stand-in, which takes --filter=PATTERN the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-2000}
build_dir=${2:-build-release}
loops=${LOOPS:-1}
spinner_count=${SPINNERS:-$(nproc)}
test_binary="$build_dir/tests/test_determinism"
[ -x "$test_binary" ] || { echo "no $test_binary: build $build_dir first" >&2; exit 1; }

spinners=() workers=()
stop() { [ $((${#spinners[@]} + ${#workers[@]})) -eq 0 ] || kill "${spinners[@]}" "${workers[@]}" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq "$spinner_count"); do
    (while :; do :; done) &
    spinners+=($!)
done

# loop NUMBER RUNS: run the tests RUNS times; the last line of its output is its count of failures.
loop() {
    local number=$1 count=$2 run failures=0 output
    for run in $(seq "$count"); do
        if ! output=$("$test_binary" --filter='concurrency/parallel_*' 2>&1); then
            failures=$((failures + 1))
            printf 'loop %d, run %d failed:\n%s\n' "$number" "$run" "$output" >&2
        fi
        if [ $((run % 100)) -eq 0 ]; then
            printf 'loop %d: %d runs, %d failed, %d s\n' "$number" "$run" "$failures" $((SECONDS - started)) >&2
        fi
    done
    echo "$failures"
}

started=$SECONDS
results=$(mktemp -d)
for number in $(seq "$loops"); do
    share=$(((runs + loops - number) / loops)) # the runs split as evenly as they go
    loop "$number" "$share" >"$results/$number" &
    workers+=($!)
done
wait "${workers[@]}"
workers=()
failures=0
for number in $(seq "$loops"); do failures=$((failures + $(tail -n 1 "$results/$number"))); done
rm -rf "$results"
printf 'parallel_insert: %d runs of concurrency::parallel_{add,build}_reaches_every_node, %d failed, %d s, in %d loops at once, under load from %d spinning processes (%s)\n' \
    "$runs" "$failures" $((SECONDS - started)) "$loops" "${#spinners[@]}" "$test_binary"
[ "$failures" -eq 0 ]
