#!/usr/bin/env bash
# Kill a child that changes, commits and checkpoints an index with SIGKILL at
# random moments, many times, and check after each kill that the index holds
# the last commit the child saw return, or the one in flight (the test
# crash/a_crash_at_any_moment_... in tests/unit/crash.c; the test
# command runs it 200 times). Not part of the test command: the figures go in
# the notes of the work that needs them.
#
#   bash tests/soak/crash.sh [KILLS] [BUILD_DIR]    (defaults: 2000, build-release)
set -euo pipefail
cd "$(dirname "$0")/../.."
kills=${1:-2000}
build_dir=${2:-build-release}
test_binary="$build_dir/tests/test_crash"
[ -x "$test_binary" ] || { echo "no $test_binary: build $build_dir first" >&2; exit 1; }
started=$SECONDS
VDB_CRASH_KILLS=$kills "$test_binary" --filter='crash/*' --verbose
echo "$kills kills, $((SECONDS - started)) s"
