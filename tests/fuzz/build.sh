# Sourced by run.sh and long.sh: configure and build the libFuzzer targets
# (clang, ASan+UBSan) in $build, set `targets` to their names, and make the
# sanitizers' reports symbolized.
command -v clang >/dev/null || { echo "${0##*/}: needs clang (bash .ci/install-deps.sh --tests)" >&2; exit 1; }
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DVDB_BUILD_FUZZ=ON -DVDB_TEST_CRITERION_SHIM=ON \
    -DVDB_BUILD_TOOLS=OFF -DVDB_BUILD_BENCH=OFF >/dev/null
mapfile -t targets <"$build/tests/fuzz/targets.txt"
cmake --build "$build" -j "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" --target "${targets[@]}" >/dev/null

# Symbolized stacks in reports: llvm-symbolizer comes with the llvm package, not
# with clang; binutils' addr2line (always there beside clang) does it too.
command -v llvm-symbolizer >/dev/null || export ASAN_OPTIONS="allow_addr2line=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
