#!/usr/bin/env bash
# Remake the seed corpora in tests/fuzz/corpus/<target>/ (committed; run.sh
# fuzzes copies of them): small files the fuzzer can mutate into every branch
# of a reader. Deterministic: the same vdb tool writes the same bytes.
#
#   bash tests/fuzz/make_corpus.sh [VDB_TOOL] [JOURNAL_SEEDS_TOOL]
#       (defaults build-release/tools/vdb, build-fuzz/tests/fuzz/make_journal_seeds)
#
# Index files (fuzz_open, fuzz_verify): tiny indexes saved by the library, one
# per metric, one whose ids are no longer 0..n-1, an empty one, and a header
# cut from its file; in format 2, one with trained int8 codes (the 1024
# vectors they need, 2-d) and two whose int8 and PQ codes are not trained yet. Vector files (fuzz_vectors): .npy of format 1.0 (as
# `vdb gen` writes it), 2.0 and 3.0, a 1-D .npy, .fvecs, raw float32.
# Journals (fuzz_journal): written by make_journal_seeds (make_journal_seeds.c
# says which), a program of the fuzz build, since each names the index the
# target builds by that file's checksum (cmake --build build-fuzz --target
# make_journal_seeds, as tests/README.md configures build-fuzz). Files
# this script did not write are left alone: regression-* are inputs of past
# findings, kept as seeds so that the fix stays tested.
set -euo pipefail
cd "$(dirname "$0")/../.."
vdb=${1:-build-release/tools/vdb}
journal_seeds=${2:-build-fuzz/tests/fuzz/make_journal_seeds}
[ -x "$vdb" ] || { echo "make_corpus: no vdb tool at $vdb (build it: cmake -B build-release && cmake --build build-release)" >&2; exit 1; }
[ -x "$journal_seeds" ] || { echo "make_corpus: no make_journal_seeds at $journal_seeds (build it in the fuzz build: cmake --build build-fuzz --target make_journal_seeds)" >&2; exit 1; }
corpus=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Index files. m 2 gives several levels, so upper links, even with 24 vectors.
"$vdb" gen "$tmp/a.f32" --count 24 --dim 4 --seed 1 >/dev/null
"$vdb" gen "$tmp/b.f32" --count 16 --dim 3 --kind clustered --clusters 3 --seed 2 >/dev/null
"$vdb" gen "$tmp/more.f32" --count 3 --dim 4 --seed 3 >/dev/null
build() { "$vdb" build "$@" --ef-construction 16 --threads 1 --seed 7 >/dev/null; }
build "$tmp/a.f32" "$tmp/l2.vdb" --dim 4 --m 2
build "$tmp/b.f32" "$tmp/cosine.vdb" --dim 3 --m 3 --metric cosine
build "$tmp/b.f32" "$tmp/ip.vdb" --dim 3 --m 2 --metric ip
cp "$tmp/l2.vdb" "$tmp/changed-ids.vdb"
"$vdb" delete "$tmp/changed-ids.vdb" 0 5 7 >/dev/null
"$vdb" add "$tmp/changed-ids.vdb" "$tmp/more.f32" --threads 1 >/dev/null
cp "$tmp/l2.vdb" "$tmp/empty.vdb"
# shellcheck disable=SC2046
"$vdb" delete "$tmp/empty.vdb" $(seq 0 23) >/dev/null
head -c 4096 "$tmp/l2.vdb" >"$tmp/header-only.vdb"
"$vdb" gen "$tmp/c.f32" --count 1024 --dim 2 --kind clustered --clusters 4 --seed 6 >/dev/null
build "$tmp/c.f32" "$tmp/int8.vdb" --dim 2 --m 2 --codes int8 --rerank 4
build "$tmp/a.f32" "$tmp/int8-untrained.vdb" --dim 4 --m 2 --codes int8
build "$tmp/a.f32" "$tmp/pq-untrained.vdb" --dim 4 --m 2 --codes pq --code-bytes 2
for target in fuzz_open fuzz_verify; do
    mkdir -p "$corpus/$target"
    for name in l2 cosine changed-ids empty header-only int8 int8-untrained pq-untrained; do
        cp "$tmp/$name.vdb" "$corpus/$target/$name.vdb"
    done
done
# The ip index differs from the others only in its metric field: verify's seeds need not repeat it.
cp "$tmp/ip.vdb" "$corpus/fuzz_open/ip.vdb"

# npy MAJOR SHAPE DATA OUT: a .npy file of the float32 bytes in DATA, its
# header padded to 64 bytes as numpy pads it; 2.0 and 3.0 have a 4-byte length.
npy() {
    local major=$1 shape=$2 data=$3 out=$4 dict prefix total length
    dict="{'descr': '<f4', 'fortran_order': False, 'shape': $shape, }"
    prefix=$((major == 1 ? 10 : 12))
    total=$(((prefix + ${#dict} + 1 + 63) / 64 * 64))
    length=$((total - prefix))
    {
        printf '\x93NUMPY'
        printf "\\x$(printf %02x "$major")\\x00"
        printf "\\x$(printf %02x $((length & 255)))\\x$(printf %02x $((length >> 8 & 255)))"
        [ "$major" -eq 1 ] || printf '\x00\x00'
        printf '%s%*s\n' "$dict" $((length - ${#dict} - 1)) ''
        cat "$data"
    } >"$out"
}

# Vector files. 105 x 8 raw floats are whole rows of every dimension 1..8,
# which is what fuzz_vectors reads a raw file as.
mkdir -p "$corpus/fuzz_vectors"
"$vdb" gen "$corpus/fuzz_vectors/v1.npy" --count 6 --dim 3 --seed 4 >/dev/null
"$vdb" gen "$tmp/rows.f32" --count 6 --dim 3 --seed 4 >/dev/null
npy 2 '(6, 3)' "$tmp/rows.f32" "$corpus/fuzz_vectors/v2.npy"
npy 3 '(6, 3)' "$tmp/rows.f32" "$corpus/fuzz_vectors/v3.npy"
npy 1 '(18,)' "$tmp/rows.f32" "$corpus/fuzz_vectors/1d.npy"
"$vdb" gen "$corpus/fuzz_vectors/rows.fvecs" --count 6 --dim 3 --seed 4 >/dev/null
"$vdb" gen "$corpus/fuzz_vectors/rows.raw" --count 105 --dim 8 --seed 5 --format raw >/dev/null

# Journals, each a control byte and the journal's bytes (journal_input.h).
mkdir -p "$corpus/fuzz_journal"
"$journal_seeds" "$corpus/fuzz_journal"

# A check of npy() against the tool's writer.
npy 1 '(6, 3)' "$tmp/rows.f32" "$tmp/v1.npy"
cmp -s "$tmp/v1.npy" "$corpus/fuzz_vectors/v1.npy" || { echo "make_corpus: npy() does not write what vdb gen writes" >&2; exit 1; }
du -b -s "$corpus"/*
