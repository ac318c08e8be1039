#!/usr/bin/env bash
# End-to-end tests of the `vdb` command-line tool on a small data set: build,
# info, search, indexes with int8 and pq codes, disk-resident search (--disk), delete, add, upsert, search --filter, the journal beside an
# index (a program holding it writable; a damaged one and --recover), and
# every kind of bad input. Each change is followed by `vdb verify`, and each refused change by
# a byte comparison with the file before it, so an index is never seen
# half-written or changed by a command that failed.
#   bash tests/cli/run.sh [BUILD_DIR]      (default: build-release)
# Prints one line per check and "N passed, N failed"; exits 1 if any failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$(cd "${1:-$root/build-release}" && pwd)
vdb="$build_dir/tools/vdb"
if [ ! -x "$vdb" ]; then
    echo "cli: no vdb at $vdb; build first (cmake --build $build_dir)" >&2
    exit 2
fi
work=$(mktemp -d)
holder="" # a process this script starts to hold a journal's lock
trap '[ -z "$holder" ] || kill "$holder" 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"

passed=0 failed=0
pass() {
    passed=$((passed + 1))
    echo "ok    $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL  $1"
    shift
    local line
    for line in "$@"; do
        printf '%s\n' "$line" | head -n 8 | sed 's/^/      /'
    done
}

# run ARGS...: run vdb; sets $status, $out (stdout) and $err (stderr).
run() {
    set +e
    "$vdb" "$@" >"$work/.out" 2>"$work/.err"
    status=$?
    set -e
    out=$(cat "$work/.out")
    err=$(cat "$work/.err")
}

# ok NAME ARGS...: vdb ARGS exits 0.
ok() {
    local name=$1
    shift
    run "$@"
    if [ "$status" -eq 0 ]; then pass "$name"; else fail "$name" "exit $status: vdb $*" "$err"; fi
}

# refused NAME STATUS REGEX ARGS...: vdb ARGS exits STATUS with a message on stderr matching REGEX,
# and every index file in the folder is byte for byte as it was.
refused() {
    local name=$1 want=$2 pattern=$3 f
    shift 3
    rm -rf "$work/.before" && mkdir "$work/.before"
    for f in *.vdb; do [ -f "$f" ] && cp -p "$f" "$work/.before/"; done
    run "$@"
    local changed=""
    for f in "$work"/.before/*.vdb; do
        [ -e "$f" ] || continue
        cmp -s "$f" "$(basename "$f")" || changed="$changed $(basename "$f")"
    done
    if [ "$status" -ne "$want" ]; then
        fail "$name" "exit $status, expected $want: vdb $*" "$err"
    elif ! grep -Eq -- "$pattern" <<<"$err"; then
        fail "$name" "message does not match '$pattern': vdb $*" "$err"
    elif [ -n "$changed" ]; then
        fail "$name" "a refused command changed:$changed"
    else
        pass "$name"
    fi
}

# check NAME CONDITION-COMMAND...: a plain assertion.
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "failed: $*"; fi
}

# verified NAME INDEX: vdb verify passes.
verified() {
    run verify "$2"
    if [ "$status" -eq 0 ] && [ "$out" = ok ]; then pass "$1"; else fail "$1" "verify exit $status" "$err"; fi
}

# info_field INDEX FIELD: the value `vdb info` prints for FIELD.
info_field() { "$vdb" info "$1" | awk -v f="$2" '$1 == f { print $2 }'; }

# first_ids: from the last search's output, "q:first-id" per query line.
first_ids() { awk '/^query / { q = $2; sub(":", "", q); split($3, r, ":"); print q ":" r[1] }' "$work/.out"; }
# results_outside ID...: the ids in the last search's results that are not among ID..., one per line.
results_outside() {
    awk -v allowed=" $* " '/^query / { for (i = 3; i <= NF; i++) { split($i, r, ":"); if (index(allowed, " " r[1] " ") == 0) print r[1] } }' "$work/.out"
}
# results_among ID...: the ids in the last search's results that are among ID..., one per line.
results_among() {
    awk -v listed=" $* " '/^query / { for (i = 3; i <= NF; i++) { split($i, r, ":"); if (index(listed, " " r[1] " ") > 0) print r[1] } }' "$work/.out"
}
# empty TEXT: TEXT is empty (for check).
empty() { [ -z "$1" ]; }

# npy_header DESCR SHAPE: a .npy version 1.0 header, on stdout.
npy_header() {
    local dict="{'descr': '$1', 'fortran_order': False, 'shape': $2, }"
    local total=$((10 + ${#dict} + 1))
    local header_len=$(((total + 63) / 64 * 64 - 10))
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((header_len & 255)))\\x$(printf %02x $((header_len >> 8)))"
    printf '%s' "$dict"
    printf '%*s' $((header_len - ${#dict} - 1)) ''
    printf '\n'
}

# npy_ids FILE DESCR ID...: a 1-D .npy array of little-endian integers (DESCR '<u8', '<i8', '<u4', '<i4').
npy_ids() {
    local file=$1 descr=$2 size=${2:2:1}
    shift 2
    {
        npy_header "$descr" "($#,)"
        local id b
        for id in "$@"; do
            for ((b = 0; b < size; b++)); do
                printf "\\x$(printf %02x $(((id >> (8 * b)) & 255)))"
            done
        done
    } >"$file"
}

start=$SECONDS

# --- help and the command line ---------------------------------------------
for cmd in gen build add upsert delete search info verify bench; do
    run "$cmd" --help
    if [ "$status" -eq 0 ] && [[ "$out" == "usage: vdb $cmd "* ]]; then pass "$cmd --help"; else fail "$cmd --help" "exit $status" "$out"; fi
done
for cmd in add upsert delete search info bench; do
    run "$cmd" --help
    check "$cmd --help describes --recover" grep -q -- '--recover  .*damaged INDEX-journal' <<<"$out"
done
for cmd in build bench; do
    run "$cmd" --help
    check "$cmd --help describes --codes, --code-bytes and --rerank" \
        bash -c 'grep -q -- "--codes C  .*int8 | pq\|int8, a byte" <<<"$1" && grep -q -- "--code-bytes B  " <<<"$1" &&
                 grep -q -- "--rerank R  " <<<"$1"' _ "$out"
done
run --help
for cmd in add upsert delete; do
    check "vdb --help lists $cmd" grep -q "^  $cmd " <<<"$out"
done
refused "unknown command" 2 "unknown command 'frobnicate'" frobnicate
refused "unknown option" 2 "unknown option '--frob'" add x.vdb y.npy --frob

# --- a small data set and its index ----------------------------------------
ok "gen data" gen data.npy --count 3000 --dim 16 --kind clustered --clusters 20
ok "gen extra rows" gen extra.npy --count 200 --dim 16 --kind clustered --clusters 20 --seed 7
ok "gen upsert rows" gen other.npy --count 100 --dim 16 --kind clustered --clusters 20 --seed 8
ok "gen raw rows" gen raw.f32 --count 50 --dim 16 --seed 9
ok "gen fvecs rows" gen more.fvecs --count 60 --dim 16 --seed 10
ok "gen 8-d rows" gen narrow.npy --count 10 --dim 8
ok "build" build data.npy data.vdb --m 8 --ef-construction 64 --threads 1
verified "verify after build" data.vdb
check "info: live 3000" [ "$(info_field data.vdb live)" = 3000 ]
check "info: deleted 0" [ "$(info_field data.vdb deleted)" = 0 ]
check "info: dim 16" [ "$(info_field data.vdb dim)" = 16 ]
check "info: no journal before any change" [ "$(info_field data.vdb journal)" = none ]

ok "search every row" search data.vdb data.npy --k 5
hits=$(first_ids | awk -F: '$1 == $2' | wc -l)
check "rows find themselves first (${hits}/3000)" [ "$hits" -ge 2990 ]
check "row 123 finds itself at distance 0" grep -q '^query 123: 123:0 ' <<<"$out"
check "info: codes none without --codes" [ "$(info_field data.vdb codes)" = none ]

# --- a build within a memory bound: by partitions ---------------------------
# 40,000 rows of 16 floats and their graph need about 6.5 MB: 6 MiB is split into partitions.
ok "gen rows for a bounded build" gen wide.npy --count 40000 --dim 16 --kind clustered --clusters 40 --seed 11
refused "build --memory-mb too small gives the least that would do" 1 "give at least [0-9]+ MiB" \
    build wide.npy wide.vdb --m 8 --ef-construction 64 --memory-mb 1
check "a refused bounded build writes no index" [ ! -e wide.vdb ]
ok "build --memory-mb 6" build wide.npy wide.vdb --m 8 --ef-construction 64 --memory-mb 6
verified "verify a build by partitions" wide.vdb
ok "search every row of it" search wide.vdb wide.npy --k 5 --ef 64
hits=$(first_ids | awk -F: '$1 == $2' | wc -l)
check "built by partitions, rows find themselves first (${hits}/40000)" [ "$hits" -ge 39800 ]
refused "bench --memory-mb on an index file" 2 "memory-mb is for building" bench wide.vdb --memory-mb 6
rm -f wide.npy wide.vdb

# --- int8 codes ------------------------------------------------------------
ok "build --codes int8" build data.npy codes.vdb --codes int8 --rerank 20 --m 8 --ef-construction 64 --threads 1
check "build says the index has int8 codes" grep -q ', int8 codes -> codes.vdb$' <<<"$out"
verified "verify an index with codes" codes.vdb
run info codes.vdb
check "info: codes int8, trained" grep -q '^codes  *int8 (trained)$' <<<"$out"
check "info: rerank 20" [ "$(info_field codes.vdb rerank)" = 20 ]
ok "search an index with codes" search codes.vdb data.npy --k 5
hits=$(first_ids | awk -F: '$1 == $2' | wc -l)
check "with codes, rows find themselves first (${hits}/3000)" [ "$hits" -ge 2990 ]
check "with codes, row 123 finds itself at distance 0 (exact)" grep -q '^query 123: 123:0 ' <<<"$out"
ok "add to an index with codes" add codes.vdb extra.npy
verified "verify after adding to an index with codes" codes.vdb
check "the codes stay after a change" [ "$(info_field codes.vdb codes)" = int8 ]
ok "delete all but 700 vectors of an index with codes" delete codes.vdb --ids <(seq 0 2499)
run info codes.vdb
check "info: trained codes stay trained below 1024 vectors" grep -q '^codes  *int8 (trained)$' <<<"$out"
ok "build --codes int8 over fewer rows than codes train on" build data.npy few.vdb --codes int8 --count 500
check "build says the codes are not trained" grep -q 'int8 codes not trained (too few rows) -> few.vdb$' <<<"$out"
run info few.vdb
check "info: codes int8, not trained" grep -q '^codes  *int8 (not trained)$' <<<"$out"
check "info: rerank 0 is all ef candidates" grep -q '^rerank  *0 (all ef candidates)$' <<<"$out"
refused "build with a bad --codes" 2 "--codes must be none, int8 or pq, not 'int4'" build data.npy bad.vdb --codes int4
check "the refused build made no file" [ ! -e bad.vdb ]
refused "build --rerank without codes" 2 "--rerank is for an index with codes" build data.npy bad.vdb --rerank 5
refused "build --rerank past 65536" 1 "rerank 70000 is over 65536" build data.npy bad.vdb --codes int8 --rerank 70000
ok "bench --codes int8" bench data.npy --codes int8 --rerank 20 --nq 20 --threads 1 --json
check "bench's JSON names the codes" grep -q '"codes": "int8", "code_bytes": 0, "codes_trained": true, "rerank": 20' <<<"$out"
ok "bench an index file with codes" bench codes.vdb --nq 20 --threads 1
check "bench's table names the codes" grep -q '^codes: *int8, trained, rerank 20$' <<<"$out"
refused "bench with a bad --codes" 2 "--codes must be none, int8 or pq, not 'yes'" bench data.npy --codes yes
refused "bench --codes on an index file" 2 "--codes is for building" bench codes.vdb --codes int8

# --- pq codes: over the 4096 vectors they are trained at -------------------
ok "gen pq rows" gen pq.npy --count 5000 --dim 16 --kind clustered --clusters 20 --seed 12
ok "build --codes pq --code-bytes 8" build pq.npy pq.vdb --codes pq --code-bytes 8 --m 8 --ef-construction 64
check "build says the index has pq codes" grep -q ', pq codes -> pq.vdb$' <<<"$out"
verified "verify an index with pq codes" pq.vdb
run info pq.vdb
check "info: codes pq, trained, 8 bytes a vector" grep -q '^codes  *pq (trained, 8 bytes a vector)$' <<<"$out"
ok "search an index with pq codes" search pq.vdb pq.npy --k 5
hits=$(first_ids | awk -F: '$1 == $2' | wc -l)
check "with pq codes, rows find themselves first (${hits}/5000)" [ "$hits" -ge 4950 ]
ok "bench --codes pq" bench pq.npy --codes pq --nq 20 --threads 1 --json
check "bench's JSON names the pq codes and their bytes" grep -q '"codes": "pq", "code_bytes": 2, "codes_trained": true' <<<"$out"
refused "build --code-bytes without pq" 2 "--code-bytes is for --codes pq" build data.npy bad.vdb --codes int8 --code-bytes 4
refused "build --code-bytes past the dimension" 1 "code_bytes 17 is more than the dimension 16" \
    build data.npy bad.vdb --codes pq --code-bytes 17

# --- disk-resident search (--disk, --cache-mb): the mapped index's output ---
ok "build --codes int8 for disk-resident search" build data.npy disk.vdb --codes int8 --m 8 --ef-construction 64 --threads 1
ok "search mapped" search disk.vdb extra.npy --k 10 --ef 32
mapped_out=$out
ok "search --disk" search disk.vdb extra.npy --k 10 --ef 32 --disk
check "search --disk prints what the mapped search prints" [ "$out" = "$mapped_out" ]
for mb in 0 1 64; do
    ok "search --disk --cache-mb $mb" search disk.vdb extra.npy --k 10 --ef 32 --disk --cache-mb "$mb"
    check "search --disk --cache-mb $mb prints what the mapped search prints" [ "$out" = "$mapped_out" ]
done
printf '0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1 1.1 1.2 1.3 1.4 1.5 1.6\n' >one-query.txt
run search disk.vdb --k 5 <one-query.txt
stdin_mapped="$status:$out"
check "search from stdin finds 5" grep -Eq '^0:query 0:( [0-9]+:[^ ]+){5}$' <<<"$stdin_mapped"
run search disk.vdb --k 5 --disk --cache-mb 1 <one-query.txt
check "search --disk from stdin prints what the mapped search prints" [ "$status:$out" = "$stdin_mapped" ]
ok "search pq mapped" search pq.vdb extra.npy --k 10
mapped_out=$out
ok "search pq --disk --cache-mb 1" search pq.vdb extra.npy --k 10 --disk --cache-mb 1
check "search --disk of a pq index prints what the mapped search prints" [ "$out" = "$mapped_out" ]
refused "search --cache-mb without --disk" 2 "--cache-mb .*give --disk too" search disk.vdb extra.npy --cache-mb 1
refused "search --disk of an index without codes" 1 "has no codes.*VDB_OPEN_DISK|VDB_OPEN_DISK.*codes" \
    search data.vdb extra.npy --disk
refused "search --cache-mb past 2^44" 2 "--cache-mb 17592186044416 is too large" \
    search disk.vdb extra.npy --disk --cache-mb 17592186044416
run search --help
check "search --help describes --disk and --cache-mb" \
    bash -c 'grep -q -- "--disk  .*VDB_OPEN_DISK" <<<"$1" && grep -q -- "--cache-mb N  .*with --disk" <<<"$1"' _ "$out"
run info disk.vdb
check "info: an index with codes opens disk-resident" grep -q '^disk  *yes (vdb search --disk)$' <<<"$out"
run info data.vdb
check "info: an index without codes does not" grep -q '^disk  *no (needs codes' <<<"$out"
ok "bench --disk --cache-mb" bench disk.vdb --disk --cache-mb 1 --nq 20 --threads 1 --json
check "bench's JSON says disk and the cache" grep -q '"disk": true, "cache_mb": 1' <<<"$out"
ok "bench --disk, the table" bench disk.vdb --disk --nq 20 --threads 1
check "bench's table says disk-resident" grep -q '^open: .*disk-resident, cache 0 MiB$' <<<"$out"
refused "bench --cache-mb without --disk" 2 "--cache-mb .*give --disk too" bench disk.vdb --cache-mb 1
refused "bench --disk of a vector file" 2 "--disk and --cache-mb open an index file" bench data.npy --disk
refused "bench --disk of an index without codes" 1 "no codes" bench data.vdb --disk

# --- delete ----------------------------------------------------------------
printf '20\n21\n\n  22  \n' >doomed.txt
ok "delete ids and --ids FILE" delete data.vdb 5 10 15 --ids doomed.txt
check "delete reports 2994 live, 6 deleted" grep -q ' -> data.vdb: 2994 live, 6 deleted$' <<<"$out"
verified "verify after delete" data.vdb
check "info after delete: live 2994" [ "$(info_field data.vdb live)" = 2994 ]
check "info after delete: deleted 0 (the save drops them)" [ "$(info_field data.vdb deleted)" = 0 ]
check "info after delete: no journal is left (the save emptied it, the close removed it)" [ "$(info_field data.vdb journal)" = none ]
ok "search after delete" search data.vdb data.npy --k 10
check "deleted ids never come back" empty "$(results_among 5 10 15 20 21 22)"
check "a deleted row's query finds others" grep -Eq '^query 5: [0-9]+:' <<<"$out"
refused "delete an id that is gone" 1 "id 5 .*not in the index" delete data.vdb 5
refused "delete all or nothing" 1 "id 999999 .*not in the index" delete data.vdb 30 31 999999
check "all or nothing: id 30 still there" [ "$(info_field data.vdb live)" = 2994 ]
refused "delete an id twice" 1 "id 30 appears twice" delete data.vdb 30 30
refused "delete a bad id" 2 "'3x' is not an id" delete data.vdb 3x
refused "delete an id past 2^64-2" 2 "past the largest id" delete data.vdb 18446744073709551615
refused "delete without ids" 2 "no ids to delete" delete data.vdb
: >empty.txt
refused "delete from an empty id file" 1 "'empty.txt' holds no ids" delete data.vdb --ids empty.txt

# --- add -------------------------------------------------------------------
ok "add without --ids" add data.vdb extra.npy
check "add gives the ids after the largest" grep -q '^added 200 rows of extra.npy as ids 3000\.\.3199 ' <<<"$out"
check "add reports 3194 live" grep -q ' -> data.vdb: 3194 live, 0 deleted$' <<<"$out"
verified "verify after add" data.vdb
ok "search the added rows" search data.vdb extra.npy --k 3
check "added row 0 is id 3000" grep -q '^query 0: 3000:0 ' <<<"$out"
check "added row 199 is id 3199" grep -q '^query 199: 3199:0 ' <<<"$out"

seq 50000 2 50398 >extra_ids.txt
ok "add with --ids FILE" add data.vdb other.npy --ids <(seq 60000 60099)
check "add --ids reports the run of ids" grep -q '^added 100 rows of other.npy as ids 60000\.\.60099 ' <<<"$out"
ok "add with scattered --ids" add data.vdb extra.npy --ids extra_ids.txt
check "scattered ids are named by their file" grep -q 'as the ids in extra_ids.txt' <<<"$out"
verified "verify after add --ids" data.vdb
ok "search the scattered ids" search data.vdb extra.npy --k 2
check "extra row 0 is found as 3000 or 50000" grep -Eq '^query 0: (3000|50000):0 (3000|50000):0$' <<<"$out"
npy_ids ids.npy '<u8' 70000 70001 70002 70003 70004 70005 70006 70007 70008 70009
ok "gen 10 rows" gen ten.npy --count 10 --dim 16 --seed 11
ok "add with .npy uint64 ids" add data.vdb ten.npy --ids ids.npy
check "npy ids used" grep -q 'as ids 70000\.\.70009 ' <<<"$out"
npy_ids ids32.npy '<i4' 80000 80001 80002 80003 80004 80005 80006 80007 80008 80009
ok "add with .npy int32 ids" add data.vdb ten.npy --ids ids32.npy
ok "add a raw float32 file" add data.vdb raw.f32
ok "add an .fvecs file" add data.vdb more.fvecs --threads 1
verified "verify after the adds" data.vdb
live_now=$(info_field data.vdb live)
check "live count adds up (3194+100+200+10+10+50+60 = 3624)" [ "$live_now" = 3624 ]

# --- upsert ----------------------------------------------------------------
{ seq 60050 60099; seq 90000 90049; } >upsert_ids.txt
ok "upsert" upsert data.vdb other.npy --ids upsert_ids.txt
check "upsert counts replaced and new" grep -q '(50 replaced, 50 new)' <<<"$out"
check "upsert reports 3674 live, 50 deleted" grep -q ' -> data.vdb: 3674 live, 50 deleted$' <<<"$out"
verified "verify after upsert" data.vdb
ok "search upserted rows" search data.vdb other.npy --k 1
check "other row 0 (id 60050 now) is found as 60000 or 60050" grep -Eq '^query 0: 600(00|50):0$' <<<"$out"
check "other row 99 is id 90049" grep -q '^query 99: 90049:0$' <<<"$out"
refused "upsert without --ids" 2 "--ids FILE is required" upsert data.vdb other.npy
seq 1 100 | sed '5s/.*/7/' >upsert_twice.txt
refused "upsert an id twice" 1 "gives id 7 twice \(rows 4 and 6\)" upsert data.vdb other.npy --ids upsert_twice.txt

# --- search --filter -------------------------------------------------------
printf '7\n8\n9\n123\n3000\n60001\n123456789\n' >allowed.txt
ok "search --filter" search data.vdb data.npy --k 4 --filter allowed.txt
check "only allowed ids are returned" empty "$(results_outside 7 8 9 123 3000 60001)"
check "filtered row 123 finds itself" grep -q '^query 123: 123:0 ' <<<"$out"
check "every query answers 4 of the 6 held" empty "$(awk '/^query / && NF != 6' "$work/.out")"
npy_ids allowed.npy '<i8' 8 9
printf '0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1 0.1 0.2 0.3 0.4 0.5 0.6\n' >query.txt
run search data.vdb --k 10 --filter allowed.npy <query.txt
check "stdin query with an .npy filter finds just 8 and 9" grep -Eq '^query 0: (8:[^ ]+ 9|9:[^ ]+ 8):[^ ]+$' <<<"$out"
refused "filter file missing" 1 "cannot open id file 'nope.txt'" search data.vdb data.npy --filter nope.txt
printf '1\n2\nthree\n' >bad_ids.txt
refused "filter file with a bad line" 1 "'bad_ids.txt' line 3: 'three' is not an id" search data.vdb data.npy --filter bad_ids.txt
refused "filter file empty" 1 "holds no ids" search data.vdb data.npy --filter empty.txt
refused "filter and queries both on stdin" 2 "both come from stdin" search data.vdb --filter -

# --- bad inputs to add -----------------------------------------------------
refused "add to a missing index" 1 "cannot open index 'nope.vdb': No such file" add nope.vdb extra.npy
refused "add a missing vector file" 1 "'nope.npy': No such file" add data.vdb nope.npy
refused "add rows of another dimension" 1 "dimension mismatch: 'narrow.npy' has 8 floats per row, the index 'data.vdb' has 16" add data.vdb narrow.npy
head -c 100 raw.f32 >ragged.f32
refused "add a raw file of partial rows" 1 "'ragged.f32' has 100 bytes, not a whole number of 16-float rows" add data.vdb ragged.f32
refused "add a vector file as the index" 1 "not a libvdb index" add data.npy extra.npy
refused "add with a missing id file" 1 "cannot open id file 'nope.txt'" add data.vdb ten.npy --ids nope.txt
seq 1 3 >ids3.txt
refused "add with too few ids" 1 "'ids3.txt' holds 3 ids, but 'ten.npy' has 10 rows" add data.vdb ten.npy --ids ids3.txt
seq 100000 100009 | sed '4s/.*/10000x/' >bad10.txt
refused "add with a bad id line" 1 "'bad10.txt' line 4: '10000x' is not an id" add data.vdb ten.npy --ids bad10.txt
seq 100000 100009 | sed '10s/.*/18446744073709551615/' >max10.txt
refused "add with id 2^64-1" 1 "line 10: '18446744073709551615' is past the largest id" add data.vdb ten.npy --ids max10.txt
seq 100000 100009 | sed '10s/.*/-3/' >neg10.txt
refused "add with a negative id" 1 "line 10: '-3' is not an id" add data.vdb ten.npy --ids neg10.txt
seq 100000 100009 | sed '7s/.*/100001/' >dup10.txt
refused "add with an id twice" 1 "gives id 100001 twice \(rows 1 and 6\)" add data.vdb ten.npy --ids dup10.txt
seq 70005 70014 >held10.txt
refused "add an id the index holds" 1 "id 70005 \(row 0\) is already in 'data.vdb'" add data.vdb ten.npy --ids held10.txt
npy_ids neg.npy '<i8' 1 2 3 4 5 6 7 8 9 -1
refused "add with a negative .npy id" 1 "entry 9 is negative" add data.vdb ten.npy --ids neg.npy
refused "add with float vectors as ids" 1 "cannot be read as ids: its values are '<f4'" add data.vdb ten.npy --ids data.npy
printf '\x00\x00\x80\x7f' >inf.bin # +Inf
{ head -c $((16 * 4 * 3)) raw.f32; head -c 4 inf.bin; head -c $((15 * 4)) raw.f32; } >inf.f32
refused "add a row holding Inf" 1 "row 3 of 'inf.f32' holds Inf at column 0" add data.vdb inf.f32
refused "add with VECTORS on stdin" 2 "VECTORS must be a file" add data.vdb -
npy_header '<f4' '(0, 16)' >norows.npy
refused "add a vector file of no rows" 1 "'norows.npy' holds no rows" add data.vdb norows.npy
refused "add with bad --threads" 2 "--threads: 'many' is not an integer" add data.vdb ten.npy --threads many

# --- corrupt and unwritable files ------------------------------------------
cp data.vdb corrupt.vdb
size=$(stat -c %s corrupt.vdb)
printf '\xff\xff\xff\xff' | dd of=corrupt.vdb bs=1 seek=$((size / 2)) conv=notrunc status=none
refused "add to a corrupt index" 1 "'corrupt.vdb' is corrupt" add corrupt.vdb ten.npy
refused "delete from a corrupt index" 1 "'corrupt.vdb' is corrupt" delete corrupt.vdb 7
rm corrupt.vdb
refused "save into a folder that does not exist" 1 "folder '/nonexistent-vdb-dir': No such file" add data.vdb ten.npy --output /nonexistent-vdb-dir/out.vdb
refused "save where no file can be made" 1 "/proc/vdb-cli-test.vdb" add data.vdb ten.npy --output /proc/vdb-cli-test.vdb
if [ "$(id -u)" -ne 0 ]; then
    mkdir locked && cp data.vdb locked/ && chmod 555 locked
    refused "change an index in a read-only folder" 1 "folder 'locked': Permission denied" delete locked/data.vdb 7
    chmod 755 locked && chmod 444 locked/data.vdb
    refused "change a read-only index" 1 "'locked/data.vdb' is not writable" delete locked/data.vdb 7
    chmod 644 locked/data.vdb
else
    echo "skip  read-only folder and file (root ignores permissions; the /proc check above covers a refused save)"
fi

# --- where the change is saved ---------------------------------------------
ok "delete with --output" delete data.vdb 7 --output copy.vdb
check "--output leaves INDEX as it was" [ "$(info_field data.vdb live)" = 3674 ]
check "--output holds the change" [ "$(info_field copy.vdb live)" = 3673 ]
verified "verify the --output file" copy.vdb
chmod 600 copy.vdb
ln -s copy.vdb link.vdb
ok "delete through a symlink" delete link.vdb 8
check "the symlink is still a symlink" [ -L link.vdb ]
check "the file it names has the change" [ "$(info_field copy.vdb live)" = 3672 ]
check "the file keeps its mode 600" [ "$(stat -c %a copy.vdb)" = 600 ]
check "no journal is left beside the file or the symlink" [ ! -e copy.vdb-journal -a ! -e link.vdb-journal ]
check "no temporary files are left behind" bash -c '! ls -A | grep -q "\.tmp-"'

# Two changes at once: the lock makes the second wait, so neither is lost.
seq 200000 200099 >a.txt
seq 300000 300099 >b.txt
set +e
"$vdb" add data.vdb other.npy --ids a.txt --threads 1 >/dev/null 2>&1 &
first=$!
"$vdb" add data.vdb other.npy --ids b.txt --threads 1 >/dev/null 2>&1
second=$?
wait "$first"
first=$?
set -e
check "two adds at once both succeed" [ "$first$second" = 00 ]
check "two adds at once both land (3874 live)" [ "$(info_field data.vdb live)" = 3874 ]
verified "verify after two adds at once" data.vdb

# Ids from stdin and from pipes; files that are not id lists.
run delete data.vdb --ids - <<<$'30\n31'
check "delete --ids - reads stdin" grep -q ' -> data.vdb: 3872 live, 2 deleted$' <<<"$out"
run search data.vdb data.npy --k 2 --filter - <<<$'40\n41\n42'
check "search --filter - reads stdin" empty "$(results_outside 40 41 42)"
check "search --filter - answers every query" [ "$(grep -c '^query ' "$work/.out")" = 3000 ]
refused "an .npy id file through a pipe" 1 "must be a regular file" add data.vdb ten.npy --ids <(cat ids.npy)
printf '1\n2\0003\n' >nul.txt
refused "an id file holding a NUL byte" 1 "'nul.txt' line 2 holds a NUL byte" delete data.vdb --ids nul.txt
refused "an id file that is a folder" 1 "id file '.' is a directory" delete data.vdb --ids .
refused "a folder as the index" 1 "it is a directory" delete . 1

# --- a damaged journal and --recover ------------------------------------------
# The vdb commands save in place (a checkpoint, which empties the journal), so a
# helper program stands in for an application: it deletes ids in commits of
# their own and closes the index without saving, leaving the commits in
# INDEX-journal, and prints the journal's size after each commit. A byte
# changed inside the second commit's first record damages the journal before
# its last commit: every open refuses it, unless --recover keeps commit 1.
journal_commits="$build_dir/tests/cli_journal_commits"
if [ -x "$journal_commits" ]; then
    # damage INDEX: commits deleting ids 100 and 101, then id 101's low byte in the second set to 0xff.
    damage() {
        local commits second
        commits=$("$journal_commits" "$1" 100 101) || true
        second=$(awk '$1 == "commit" && $2 == "1:" { print $4 }' <<<"$commits")
        check "$1: the helper committed two deletes (commit 2 from byte ${second:-?})" [ -n "$second" -a -s "$1-journal" ]
        check "$1: an intact journal's two commits apply" [ "$(info_field "$1" live)" = $((live_before - 2)) ]
        # The record: 16-byte header, count (8 bytes), then the id (8 bytes, little-endian; 101 is 0x65).
        printf '\xff' | dd of="$1-journal" bs=1 seek=$((second + 24)) conv=notrunc status=none
        damaged_at=$second
    }
    cp data.vdb damaged.vdb
    live_before=$(info_field damaged.vdb live)
    damage damaged.vdb
    cp damaged.vdb-journal journal.before
    refused "info refuses a journal damaged before its last commit" 1 \
        "damaged.vdb-journal' is damaged at byte $damaged_at, in commit 2.*; run again with --recover to keep the intact commits$" \
        info damaged.vdb
    refused "search refuses it, naming --recover" 1 "run again with --recover" search damaged.vdb data.npy --k 1
    refused "bench refuses it, naming --recover" 1 "run again with --recover" bench damaged.vdb --nq 5
    refused "delete refuses it, naming --recover" 1 "run again with --recover" delete damaged.vdb 102
    refused "add refuses it, naming --recover" 1 "run again with --recover" add damaged.vdb ten.npy
    check "the refusals left the journal as it was" cmp -s journal.before damaged.vdb-journal
    ok "info --recover" info --recover damaged.vdb
    check "info --recover: commit 1's delete applied, commit 2's not ($((live_before - 1)) live)" \
        grep -q "^live  *$((live_before - 1))$" <<<"$out"
    ok "info INDEX --recover (the option after INDEX)" info damaged.vdb --recover
    ok "search --recover" search --recover damaged.vdb data.npy --k 2 --filter <(printf '100\n101\n')
    check "search --recover: id 100 is deleted (commit 1), id 101 is not (commit 2)" empty "$(results_outside 101)"
    check "search --recover: row 101 finds id 101" grep -q '^query 101: 101:0$' <<<"$out"
    ok "bench --recover" bench damaged.vdb --recover --nq 5 --threads 1
    check "bench --recover opens $((live_before - 1)) vectors" grep -q "^index: *$((live_before - 1)) x 16," <<<"$out"
    refused "bench --recover with a vector file" 2 "--recover is for an index file's journal" bench data.npy --recover
    check "the read-only opens left the journal as it was" cmp -s journal.before damaged.vdb-journal
    ok "delete --recover" delete --recover damaged.vdb 102
    check "delete --recover reports $((live_before - 2)) live" grep -q " -> damaged.vdb: $((live_before - 2)) live, " <<<"$out"
    check "no journal is left (--recover cut it, the save emptied it)" [ ! -e damaged.vdb-journal ]
    ok "info without --recover afterwards" info damaged.vdb
    check "info afterwards: $((live_before - 2)) live" [ "$(info_field damaged.vdb live)" = $((live_before - 2)) ]
    verified "verify after delete --recover" damaged.vdb
    ok "search without --recover afterwards" search damaged.vdb data.npy --k 3 --filter <(printf '100\n101\n102\n')
    check "search afterwards: only id 101 of 100..102 is left" empty "$(results_outside 101)"

    # With --output the change goes elsewhere, but the journal is still cut for good: commit 1 stays, 2 is gone.
    cp data.vdb damaged2.vdb
    damage damaged2.vdb
    ok "add --recover --output" add --recover damaged2.vdb ten.npy --ids <(seq 400000 400009) --output recovered.vdb
    check "the --output file holds commit 1 and the rows ($((live_before + 9)) live)" \
        [ "$(info_field recovered.vdb live)" = $((live_before + 9)) ]
    ok "info without --recover on the index whose journal was cut" info damaged2.vdb
    check "its journal keeps commit 1 ($((live_before - 1)) live)" [ "$(info_field damaged2.vdb live)" = $((live_before - 1)) ]
else
    echo "skip  a damaged journal and --recover (no $journal_commits: configure with VDB_BUILD_TESTS=ON)"
fi

# --- a program holding the index writable ------------------------------------
# libvdb's writable open takes an exclusive flock on INDEX-journal and holds it
# until the index is closed; flock(1) on the journal stands in for such a program.
if command -v flock >/dev/null; then
    (exec 9>>data.vdb-journal && flock 9 && exec sleep 120) &
    holder=$!
    for _ in $(seq 200); do flock -n data.vdb-journal true || break; sleep 0.05; done
    live_before=$(info_field data.vdb live)
    refused "delete while a program holds the index writable" 1 \
        "index 'data.vdb' is open for writing elsewhere.*data.vdb-journal" delete data.vdb 50
    check "the refusal says nothing was changed" grep -q "nothing was changed; try again once the program" <<<"$err"
    refused "add while a program holds the index writable" 1 "open for writing elsewhere" add data.vdb ten.npy
    refused "upsert while a program holds the index writable" 1 "open for writing elsewhere" \
        upsert data.vdb other.npy --ids upsert_ids.txt
    ln -s data.vdb held-link.vdb
    refused "delete through a symlink while a program holds the index writable" 1 "open for writing elsewhere" \
        delete held-link.vdb 50
    check "search and info still read it (readers take no lock)" [ "$(info_field data.vdb live)" = "$live_before" ]
    kill "$holder"
    wait "$holder" 2>/dev/null || true
    holder=""
    ok "delete once the program has closed it" delete data.vdb 50 51
    check "the delete landed" [ "$(info_field data.vdb live)" = $((live_before - 2)) ]
    verified "verify after the wait" data.vdb
else
    echo "skip  a program holding the index writable (no flock(1) to stand in for one)"
fi

echo
echo "$passed passed, $failed failed ($((SECONDS - start)) s)"
[ "$failed" -eq 0 ]
