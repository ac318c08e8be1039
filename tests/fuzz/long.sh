#!/usr/bin/env bash
# A long fuzzing session: every target for a while (an hour by default), on
# a scratch copy of its seed corpus that is kept afterwards, going on after a
# finding:
#
#   bash tests/fuzz/long.sh [SECONDS_PER_TARGET] [BUILD_DIR]    (defaults 3600, build-fuzz)
#
# JOBS=2 runs two targets at a time (default 1: one after another).
# LONG_DIR sets the scratch folder (default BUILD_DIR/fuzz-long/<time>), which
# holds per target corpus/ (the seeds and what the fuzzer added; not the
# committed corpus), findings/ (each finding's input, libFuzzer's crash-*,
# leak-*, timeout-*, oom-* files) and logs/ (one log per libFuzzer run).
#
# A target runs without -fork: after a finding libFuzzer stops, and it is
# started again on the grown corpus for the time left (not when it stopped
# while still loading its corpus: a seed itself fails, which another start
# cannot get past). Per target it prints: libFuzzer runs, executions, exec/s,
# new corpus entries, findings, and distinct findings by their report's
# SUMMARY line (plus the target's own message for a failed check, a deadly
# signal to libFuzzer). Exit status 1 when anything was found.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-3600}
build=${2:-build-fuzz}
jobs=${JOBS:-1}
case $seconds in '' | *[!0-9]*) echo "long.sh: SECONDS_PER_TARGET must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
case $jobs in '' | 0 | *[!0-9]*) echo "long.sh: JOBS must be a whole number of 1 or more, not '$jobs'" >&2; exit 2 ;; esac
source tests/fuzz/build.sh

scratch=${LONG_DIR:-$(cd "$build" && pwd)/fuzz-long/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
# A target's own files (its input as a file; fuzz_journal's index and journal)
# on a tmpfs when there is one, as run.sh does: fuzz_journal commits.
files_root=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && files_root=/dev/shm
files=$(mktemp -d "$files_root/vdb-fuzz-files.XXXXXX")
trap 'rm -rf "$files"' EXIT

# The line a finding is known by: its SUMMARY; the target's own message when it
# has one; and when the SUMMARY names no place in this tree (a deadly signal, a
# timeout, a leak), the first frame of the stack that does.
signature() {
    local summary own frame=''
    summary=$(grep -m1 '^SUMMARY: ' "$1" || echo 'no SUMMARY line')
    own=$(grep -m1 -E '^fuzz_[a-z_]+: ' "$1" | sed -E 's|[^ ]*/vdb-fuzz-[A-Za-z0-9]{6}/[^ ]*|TMP|g' | cut -c1-200 || true)
    case $summary in
        *" $PWD/"*) ;;
        *) frame=$(grep -m1 -E "^ +#[0-9]+ 0x[0-9a-f]+ in [^ ]+ $PWD/" "$1" |
            sed -E "s|^ +#[0-9]+ 0x[0-9a-f]+ in ([^ ]+) $PWD/([^ ]*).*|at \1 \2|" || true) ;;
    esac
    echo "$summary${own:+ | $own}${frame:+ | $frame}"
}

# Fuzz one target until its time is up; its summary goes to $scratch/<target>/summary.
fuzz_target() {
    local target=$1 dir=$scratch/$1 deadline=$((SECONDS + seconds))
    local runs=0 execs=0 findings=0 status log left seeds
    mkdir -p "$dir/corpus" "$dir/findings" "$dir/logs" "$files/$target"
    cp tests/fuzz/corpus/"$target"/* "$dir/corpus/"
    seeds=$(find "$dir/corpus" -type f | wc -l)
    : >"$dir/signatures"
    while left=$((deadline - SECONDS)) && [ "$left" -gt 0 ]; do
        runs=$((runs + 1))
        log=$dir/logs/run-$runs.log
        set +e
        TMPDIR=$files/$target "$build/tests/fuzz/$target" -max_total_time="$left" -print_final_stats=1 -timeout=20 \
            -artifact_prefix="$dir/findings/" "$dir/corpus" >"$log" 2>&1
        status=$?
        set -e
        execs=$((execs + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1 | grep . || echo 0)))
        [ "$status" -eq 0 ] && break
        findings=$((findings + 1))
        signature "$log" >>"$dir/signatures"
        echo "$target: finding $findings (run $runs): $(tail -n1 "$dir/signatures")"
        grep -q 'INITED' "$log" || { echo "$target: it failed while loading its corpus; not started again"; break; }
    done
    local elapsed=$((seconds - (deadline - SECONDS))) distinct corpus
    [ "$elapsed" -gt 0 ] || elapsed=1
    distinct=$(sort -u "$dir/signatures" | grep -c . || true)
    corpus=$(find "$dir/corpus" -type f | wc -l)
    printf '%-14s %5d %12d %8d %8d %9d %9d\n' "$target" "$runs" "$execs" $((execs / elapsed)) \
        $((corpus - seeds)) "$findings" "$distinct" >"$dir/summary"
}

echo "long.sh: ${#targets[@]} targets, $seconds s each, $jobs at a time; scratch: $scratch"
running=0
for target in "${targets[@]}"; do
    if ! compgen -G "tests/fuzz/corpus/$target/*" >/dev/null; then
        mkdir -p "$scratch/$target"
        printf '%-14s  FAIL: no seed corpus in tests/fuzz/corpus/%s\n' "$target" "$target" >"$scratch/$target/summary"
        echo "no seed corpus" >"$scratch/$target/signatures"
        continue
    fi
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    echo "--- $target: $seconds s (from $(date +%H:%M:%S)) ---"
    fuzz_target "$target" &
    running=$((running + 1))
done
wait

echo
printf '%-14s %5s %12s %8s %8s %9s %9s\n' target runs executions exec/s 'new corp' findings distinct
failed=0
for target in "${targets[@]}"; do
    cat "$scratch/$target/summary"
    if [ -s "$scratch/$target/signatures" ]; then
        failed=1
        sort "$scratch/$target/signatures" | uniq -c | sed 's/^/    /'
    fi
done
echo "corpora, findings and logs: $scratch"
exit "$failed"
