#!/usr/bin/env bash
# Install what building libvdb needs on a fresh Debian/Ubuntu machine, with
# --tests what the C test suites need too, and with --bindings what the
# binding suites need beyond the Python and Node that the machine has.
# Installs only what is missing.
set -euo pipefail

packages=(build-essential cmake pkg-config)
case "${1:-}" in
--tests) packages+=(libcriterion-dev clang valgrind) ;;
--bindings) packages+=(swig luajit libluajit-5.1-dev tcl-dev) ;;
esac

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
