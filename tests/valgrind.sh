#!/usr/bin/env bash
# Runs the quickstart and every vdb command on small data under valgrind's
# memcheck: any invalid access or any leaked block fails the run. Between
# them they reach every public function, with worker threads. What the
# commands print is checked too, so a run that is clean but wrong fails.
#   bash tests/valgrind.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "${1:?usage: valgrind.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# memcheck CMD...: run CMD under memcheck; its stdout is left in $work/out.
memcheck() {
    echo "valgrind: $*"
    valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99 \
        "$@" >"$work/out"
}

# expect DESCRIPTION EXTENDED-REGEX: the last command's stdout has a line matching it.
expect() {
    if ! grep -Eq -- "$2" "$work/out"; then
        echo "valgrind: expected $1 (a line matching '$2'); the command printed:" >&2
        sed 's/^/    /' "$work/out" >&2
        exit 1
    fi
}

# expect_none DESCRIPTION EXTENDED-REGEX: no line of the last command's stdout matches it.
expect_none() {
    if grep -Eq -- "$2" "$work/out"; then
        echo "valgrind: expected no $1; found:" >&2
        grep -E -- "$2" "$work/out" | head -n 5 | sed 's/^/    /' >&2
        exit 1
    fi
}

# self_found N: the last search printed N query lines, and at least 99% of them find
# their own row first, at distance 0 (HNSW is approximate, so not always all).
self_found() {
    awk -v want="$1" '
        /^query / { n++; q = $2; sub(":", "", q); split($3, first, ":"); if (first[1] == q && first[2] == 0) hit++ }
        END {
            if (n != want || hit < 0.99 * want) {
                printf "valgrind: %d query lines (expected %d), %d find themselves first\n", n, want, hit > "/dev/stderr"
                exit 1
            }
        }' "$work/out"
}

cc -std=c11 -g -I"$root/include" -o "$work/quickstart" "$root/docs/examples/quickstart.c" \
    -L"$build_dir/lib" -lvdb -Wl,-rpath,"$build_dir/lib"
memcheck "$work/quickstart" "$work/quickstart.vdb"
expect "the quickstart's verdict" '^ok: the reopened index gives the same answer$'

vdb="$build_dir/tools/vdb"
memcheck "$vdb" gen "$work/data.npy" --count 1500 --dim 24 --kind clustered --clusters 10
memcheck "$vdb" gen "$work/extra.npy" --count 40 --dim 24 --kind clustered --clusters 10 --seed 7
memcheck "$vdb" build "$work/data.npy" "$work/data.vdb" --m 8 --ef-construction 40 --threads 2
expect "the build summary" '^built 1500 rows \(0\.\.1499\) x 24 '
memcheck "$vdb" search "$work/data.vdb" "$work/data.npy" --k 5
self_found 1500
memcheck "$vdb" info "$work/data.vdb"
expect "the live count" '^live +1500$'
expect "the deleted count" '^deleted +0$'
expect "the dimension" '^dim +24$'
memcheck "$vdb" verify "$work/data.vdb"
expect "verify's verdict" '^ok$'
# A build by partitions: 10,000 rows of 32 floats and their graph do not fit in 2 MiB (5 partitions).
memcheck "$vdb" gen "$work/wide.npy" --count 10000 --dim 32 --kind clustered --clusters 10 --seed 3
memcheck "$vdb" build "$work/wide.npy" "$work/wide.vdb" --m 4 --ef-construction 24 --threads 2 --memory-mb 2
expect "the bounded build's summary" '^built 10000 rows \(0\.\.9999\) x 32 '
rm -f "$work/wide.npy" "$work/wide.vdb"
memcheck "$vdb" bench "$work/data.npy" --count 1400 --queries "$work/data.npy" --query-first 1400 --k 5 \
    --ef 16,64 --m 8 --ef-construction 40 --threads 2
expect "the column heads" '^ +ef +recall@5 +QPS 1 thr +QPS 2 thr +p50 ms +p99 ms$'
expect "a row for ef 16 with recall and QPS" '^ +16 +[01]\.[0-9]{4} +[1-9][0-9]* +[1-9][0-9]* +[0-9.]+ +[0-9.]+$'
expect "a row for ef 64 with recall and QPS" '^ +64 +[01]\.[0-9]{4} +[1-9][0-9]* +[1-9][0-9]* +[0-9.]+ +[0-9.]+$'
memcheck "$vdb" bench "$work/data.vdb" --vectors "$work/data.npy" --nq 50 --k 5 --ef 32
expect "a row for ef 32 with recall and QPS" '^ +32 +[01]\.[0-9]{4} +[1-9][0-9]* +[1-9][0-9]* +[0-9.]+ +[0-9.]+$'

# The living index: delete, add with and without ids, upsert, search with a filter.
printf '10\n11\n' >"$work/doomed.txt"
memcheck "$vdb" delete "$work/data.vdb" 3 4 5 --ids "$work/doomed.txt"
expect "the delete summary" '^deleted 5 ids .* 1495 live, 5 deleted$'
memcheck "$vdb" add "$work/data.vdb" "$work/extra.npy" --threads 2
expect "the add summary with the ids given" '^added 40 rows of .* as ids 1500\.\.1539 .* 1535 live, 0 deleted$'
seq 9000 9039 >"$work/extra_ids.txt"
memcheck "$vdb" add "$work/data.vdb" "$work/extra.npy" --ids "$work/extra_ids.txt" --threads 2
expect "the add summary" '^added 40 rows of .* as ids 9000\.\.9039 .* 1575 live, 0 deleted$'
seq 9020 9059 >"$work/upsert_ids.txt"
memcheck "$vdb" upsert "$work/data.vdb" "$work/extra.npy" --ids "$work/upsert_ids.txt" --threads 2
expect "the upsert summary" '^upserted 40 rows .* \(20 replaced, 20 new\) .* 1595 live, 20 deleted$'
memcheck "$vdb" info "$work/data.vdb"
expect "the live count after the changes" '^live +1595$'
memcheck "$vdb" verify "$work/data.vdb"
memcheck "$vdb" search "$work/data.vdb" "$work/data.npy" --k 5
expect_none "deleted id in the results" ' (3|4|5|10|11):[0-9]'
printf '7\n8\n9\n1500\n9055\n123456\n' >"$work/allowed.txt"
memcheck "$vdb" search "$work/data.vdb" "$work/data.npy" --k 3 --filter "$work/allowed.txt"
expect "row 7 finding itself through the filter" '^query 7: 7:0 '
awk '/^query / { for (i = 3; i <= NF; i++) { split($i, r, ":"); if (r[1] !~ /^(7|8|9|1500|9055)$/) { print "valgrind: id " r[1] " is not in the filter" > "/dev/stderr"; exit 1 } } }' "$work/out"
echo "8 9" | tr ' ' '\n' >"$work/two.txt"
echo "0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5 0.5" >"$work/q.txt"
memcheck "$vdb" search "$work/data.vdb" --k 5 --filter "$work/two.txt" <"$work/q.txt"
expect "a stdin query answered from the filter only" '^query 0: (8:[0-9.e+-]+ 9:|9:[0-9.e+-]+ 8:)[0-9.e+-]+$'

# A failing command must fail cleanly too: exit 1 from vdb, not 99 from valgrind.
# The changes fail after the index is open: an id it lacks, an id it already holds.
for failing in "verify $work/missing.vdb" "delete $work/data.vdb 3" \
    "add $work/data.vdb $work/extra.npy --ids $work/extra_ids.txt" \
    "search $work/data.vdb $work/data.npy --filter $work/missing.txt"; do
    status=0
    # shellcheck disable=SC2086 # the command line is meant to split
    memcheck "$vdb" $failing 2>/dev/null || status=$?
    if [ "$status" -ne 1 ]; then
        echo "valgrind: 'vdb $failing' exited $status, expected 1" >&2
        exit 1
    fi
done
echo "valgrind: no errors, no leaks, and the commands printed what they should"
