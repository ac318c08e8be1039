#!/usr/bin/env bash
# The durable tests' real full disk: mount a 1 MiB tmpfs, point
# VDB_TEST_SMALL_FS at it, run the test, unmount. Mounting needs root (or
# CAP_SYS_ADMIN); without it the script says SKIP and why, and exits 0: the
# RLIMIT_FSIZE test in the suite covers the same paths everywhere.
#
#   bash tests/full_disk.sh [BUILD_DIR]    (default build-release)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build-release}
test_binary="$build_dir/tests/test_full_disk"
[ -x "$test_binary" ] || { echo "no $test_binary: build $build_dir first" >&2; exit 1; }
mount_point=$(mktemp -d /tmp/vdb-small-fs-XXXXXX)
cleanup() { umount "$mount_point" 2>/dev/null || true; rmdir "$mount_point"; }
trap cleanup EXIT
if ! mount -t tmpfs -o size=1m,mode=0777 tmpfs "$mount_point" 2>/tmp/vdb-mount-error; then
    echo "SKIP: cannot mount a tmpfs ($(cat /tmp/vdb-mount-error)); the full-disk test did not run"
    exit 0
fi
VDB_TEST_SMALL_FS=$mount_point "$test_binary" --filter='full_disk/a_full_file_system*' --verbose
