#!/usr/bin/env bash
# Install what building libvdb needs on a fresh Debian/Ubuntu machine, and with
# --tests what its test suites need too. Installs only what is missing.
set -euo pipefail

packages=(build-essential cmake pkg-config)
if [ "${1:-}" = "--tests" ]; then
    packages+=(libcriterion-dev clang valgrind)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
    echo "install-deps: please install: ${missing[*]}" >&2
    exit 1
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
echo "install-deps: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
