#!/usr/bin/env bash
# Cross-language test: C builds and saves an index per metric, and one with
# int8 codes (rerank k, so the codes decide answers) per metric, from seeded
# data (make_index.c), deletes a seventh of its ids from a writable open and
# saves that too, and writes its own answers; Python, Node, Lua and the SWIG
# Tcl module then run the same queries, and each must return the same ids
# and the same distances (1e-6 relative) as C, five ways:
#   plain          the saved index, opened read-only
#   filter         the index saved after the deletions, every search
#                  filtered by the same allow-list (allow.txt, which names
#                  deleted ids too)
#   delete         the saved index opened writable, the same ids deleted
#                  (delete.txt, in one call), then searched
#   delete_filter  the same, every search filtered by the allow-list
#   commit         a copy of the saved index opened writable, the same ids
#                  deleted and committed (the journal), closed, then opened
#                  read-only and searched
#   disk           (int8 indexes only) the saved index opened disk-resident
#                  (VDB_OPEN_DISK, a 64 KiB node cache): C's plain answers
#   disk_filter    (int8 indexes only) the index saved after the deletions,
#                  opened disk-resident, filtered: C's filter answers
#
#   bash bindings/cross/run.sh
#   VDB_LIB_DIR=dir   use the libvdb.so in dir (default: build one in build-bindings/)
#
# A language whose binding or runtime is missing is skipped with the reason
# (and does not count as a failure); VDB_CROSS_REQUIRE="node lua swig python"
# turns those skips into failures. The last line is "N passed, N failed".
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

N=3000 DIM=50 NQ=25 K=10 EF=64
# A metric, or a metric with int8 codes ("-int8": N is over the 1024 vectors codes are trained at).
METRICS="l2 ip cosine l2-int8 ip-int8 cosine-int8"
# Each way of querying: name, index file (%s: the metric), allow-list, deletions ("-": none),
# "commit" where the deletions are committed to a copy of the index, which is then reopened,
# or "disk" where the index is opened disk-resident (indexes with codes only), and the C answers
# it must equal.
MODES=(
    "plain index_%s.vdbi - - - plain"
    "filter index_%s_deleted.vdbi allow.txt - - filter"
    "delete index_%s.vdbi - delete.txt - delete"
    "delete_filter index_%s.vdbi allow.txt delete.txt - delete_filter"
    "commit index_%s.vdbi - delete.txt commit commit"
    "disk index_%s.vdbi - - disk plain"
    "disk_filter index_%s_deleted.vdbi allow.txt - disk filter"
)

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $*"; }
skip() {
    local language="$1"; shift
    if [[ " ${VDB_CROSS_REQUIRE:-} " == *" $language "* ]]; then not_ok "$language: required but $*"; else echo "skip $language: $*"; fi
}

lib_dir="${VDB_LIB_DIR:-}"
if [ -z "$lib_dir" ]; then
    lib_dir="$root/build-bindings/lib"
    cmake -S "$root" -B "$root/build-bindings" -DVDB_BUILD_TESTS=OFF -DVDB_BUILD_TOOLS=OFF -DVDB_BUILD_BENCH=OFF >/dev/null &&
        cmake --build "$root/build-bindings" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null ||
        { echo "cross: cannot build libvdb"; echo "0 passed, 1 failed"; exit 1; }
fi
lib_dir="$(cd "$lib_dir" && pwd)"
# libvdb.so links to the soname (libvdb.so.0.MINOR), the library C links
# with; a build folder may still hold an older soname beside it.
library="$lib_dir/$(readlink "$lib_dir/libvdb.so")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# C: build, save, delete and save again, answer every way.
if cc -std=c11 -O2 -Wall -Wextra -Werror -I"$root/include" "$here/make_index.c" -o "$work/make_index" \
    -L"$lib_dir" -lvdb -Wl,-rpath,"$lib_dir"; then
    ok "C: make_index compiled against $lib_dir"
else
    not_ok "C: make_index does not compile"; echo "$passed passed, $failed failed"; exit 1
fi
for metric in $METRICS; do
    if "$work/make_index" "$metric" $N $DIM $NQ $K $EF "$work"; then
        ok "C $metric: index of $N x $DIM saved, $NQ queries answered; $(wc -l <"$work/delete.txt") ids deleted" \
            "and saved again; no answer holds a deleted or disallowed id"
    else
        not_ok "C $metric: make_index failed"; echo "$passed passed, $failed failed"; exit 1
    fi
    if cmp -s "$work/c_plain_$metric.txt" "$work/c_memory_$metric.txt"; then
        ok "C $metric: the saved file answers as the index in memory did"
    else
        not_ok "C $metric: the saved file answers differently from the index in memory"
    fi
    if cmp -s "$work/c_plain_$metric.txt" "$work/c_delete_$metric.txt" ||
        cmp -s "$work/c_delete_$metric.txt" "$work/c_delete_filter_$metric.txt"; then
        not_ok "C $metric: deleting or filtering changed no answer, so they would test nothing"
    else
        ok "C $metric: deleting and filtering change the answers"
    fi
    if cmp -s "$work/c_delete_$metric.txt" "$work/c_commit_$metric.txt"; then
        ok "C $metric: the deletions committed and reopened answer as the deletions in memory did"
    else
        not_ok "C $metric: the deletions committed and reopened answer differently from the deletions in memory"
    fi
done

# Run one language's query command every way for every metric and compare with C.
# usage: check_language <name> <command...>; the command gets the index,
# queries, dim, nq, k, ef, the allow-list file or -, the deletions file or -,
# and "commit" for the commit mode, which gets a copy of the index of its own, or "disk".
check_language() {
    local name="$1"; shift
    local metric mode mode_name index_file allow doomed commit want out
    for metric in $METRICS; do
        for mode in "${MODES[@]}"; do
            read -r mode_name index_file allow doomed commit want <<<"$mode"
            [ "$commit" != disk ] || [[ "$metric" == *-int8 ]] || continue
            # shellcheck disable=SC2059 # the format is MODES' own
            index_file="$work/$(printf "$index_file" "$metric")"
            [ "$allow" = - ] || allow="$work/$allow"
            [ "$doomed" = - ] || doomed="$work/$doomed"
            local extra=()
            if [ "$commit" = commit ]; then
                cp "$index_file" "$work/${name}_commit_$metric.vdbi"
                index_file="$work/${name}_commit_$metric.vdbi"
                extra=(commit)
            fi
            [ "$commit" != disk ] || extra=(disk)
            out="$work/${name}_${mode_name}_$metric.txt"
            if ! "$@" "$index_file" "$work/queries.f32" $DIM $NQ $K $EF "$allow" "$doomed" "${extra[@]}" >"$out" 2>"$out.err"; then
                not_ok "$name $metric $mode_name: the query script failed: $(tail -c 600 "$out.err")"
                continue
            fi
            if awk -f "$here/compare.awk" "$work/c_${want}_$metric.txt" "$out"; then
                ok "$name $metric $mode_name: same ids and distances as C ($want)"
            else
                not_ok "$name $metric $mode_name: answers differ from C"
            fi
        done
    done
}

# Python (the binding in bindings/python, installed with pip).
if ! command -v python3 >/dev/null; then
    skip python "python3 is not installed"
elif ! reason="$(python3 -c 'import vdb, numpy; vdb.Index.open' 2>&1)"; then
    skip python "import vdb fails (install it with: pip install ./bindings/python): $(printf '%s' "$reason" | tail -n 1)"
else
    check_language python python3 "$here/query.py"
fi

# Node (bindings/node, after npm install there), on the same libvdb as C.
if ! command -v node >/dev/null; then
    skip node "node is not installed"
elif ! reason="$(cd "$root/bindings/node" && VDB_LIBRARY="$library" node -e 'require(".")' 2>&1)"; then
    skip node "require('vdb') fails (run: npm install --prefix bindings/node): $(printf '%s' "$reason" | grep -m1 -E 'Error|vdb:' || printf '%s' "$reason" | head -n 1)"
else
    check_language node env VDB_LIBRARY="$library" node "$here/query.js"
fi

# Lua (bindings/lua under LuaJIT), on the same libvdb as C.
if ! command -v luajit >/dev/null; then
    skip lua "luajit is not installed (apt-get install luajit)"
else
    check_language lua env VDB_LIBRARY="$library" LUA_PATH="$root/bindings/lua/?.lua;;" luajit "$here/query.lua"
fi

# SWIG: the Tcl module built from bindings/swig/vdb.i against the same libvdb.
if ! command -v swig >/dev/null || ! command -v tclsh >/dev/null; then
    skip swig "swig or tclsh is not installed (apt-get install swig tcl-dev)"
elif ! build_log="$(bash "$root/bindings/swig/build.sh" "$work/swig" "$lib_dir" 2>&1)"; then
    not_ok "swig: the Tcl module does not build: $(printf '%s' "$build_log" | tail -n 5)"
else
    check_language swig tclsh "$here/query.tcl" "$work/swig/vdb.so"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
