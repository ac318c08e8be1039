#!/usr/bin/env bash
# Install what libvdb needs on a Debian/Ubuntu machine, and only what is missing:
#
#   bash .ci/install-deps.sh                       building: C/C++ compiler, make, cmake, pkg-config,
#                                                    liburing
#   bash .ci/install-deps.sh --tests               + the C test suites: Criterion, valgrind, clang with
#                                                    libFuzzer
#   bash .ci/install-deps.sh --bindings            + the binding suites: Python with venv and headers,
#                                                    Node and npm with headers, LuaJIT, SWIG and Tcl
#   bash .ci/install-deps.sh --tests --bindings    both (what tests/run-all.sh asks for)
#   bash .ci/install-deps.sh --check ...           only say what is missing; install nothing
#
# Each need is checked as a capability (a command, a header, a Python module),
# not as a package name, so a Python or Node that did not come from apt
# (pyenv, nodesource, nvm) counts when it can do the job. What fails a check is
# installed with apt-get, after printing each package and why it is needed.
set -euo pipefail

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

want_tests=0 want_bindings=0 check_only=0
for arg in "$@"; do
    case $arg in
    --tests) want_tests=1 ;;
    --bindings) want_bindings=1 ;;
    --check) check_only=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-deps: unknown option $arg" >&2; usage >&2; exit 2 ;;
    esac
done

say() { echo "install-deps: $*" >&2; }

# The packages to install and why, filled by the checks below. Problems that
# apt cannot fix (a non-Debian python3 without venv, say) go to `unfixable`.
packages=() reasons=() unfixable=()

# need PACKAGE WHY: add PACKAGE once.
need() {
    local p
    for p in "${packages[@]}"; do [ "$p" = "$1" ] && return 0; done
    packages+=("$1")
    reasons+=("$2")
}
have() { command -v "$1" >/dev/null 2>&1; }
# have_header RELATIVE_PATH: the header is in one of the compiler's usual folders.
have_header() {
    local dir
    for dir in /usr/include /usr/local/include /usr/include/"$(uname -m)"-linux-gnu; do
        [ -f "$dir/$1" ] && return 0
    done
    return 1
}
# from_apt COMMAND: the command on PATH is a file some installed package owns,
# so the matching -dev/-venv package from apt completes it.
from_apt() {
    local file
    file=$(readlink -f "$(command -v "$1")") || return 1
    have dpkg-query && dpkg-query -S "$file" >/dev/null 2>&1
}

check_build() {
    { have cc && have c++ && have make; } || need build-essential "C and C++ compilers and make: build libvdb (and node-gyp's addon)"
    have cmake || need cmake "configures libvdb's build"
    have pkg-config || need pkg-config "the install check builds against vdb.pc; finds Criterion and liburing"
    have_header liburing.h || need liburing-dev "io_uring block reads (lib/disk/block_reader.c); without it, pread threads"
}

check_tests() {
    have_header criterion/criterion.h || need libcriterion-dev "the C unit tests' framework (tests/unit)"
    have valgrind || need valgrind "memcheck of the quickstart and the vdb tool (tests/valgrind.sh)"
    if ! have clang; then
        need clang "builds the libFuzzer targets (tests/fuzz/run.sh)"
        need libclang-rt-dev "clang's libFuzzer, ASan and UBSan runtimes (Debian's clang only recommends them)"
    elif ! clang_fuzzes; then
        local major
        major=$(clang -dumpversion | cut -d. -f1)
        if from_apt clang; then
            need "libclang-rt-$major-dev" "clang's libFuzzer, ASan and UBSan runtimes: $(command -v clang) cannot link a fuzz target"
        else
            unfixable+=("$(command -v clang) cannot link a libFuzzer target (-fsanitize=fuzzer,address,undefined) and is not apt's; install its compiler-rt")
        fi
    fi
}

# clang_fuzzes: clang links a libFuzzer target under ASan and UBSan.
clang_fuzzes() {
    local dir status
    dir=$(mktemp -d) || return 1
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { (void)data; (void)size; return 0; }' \
        >"$dir/fuzz.c"
    clang -fsanitize=fuzzer,address,undefined "$dir/fuzz.c" -o "$dir/fuzz" >/dev/null 2>&1 && status=0 || status=$?
    rm -rf "$dir"
    return "$status"
}

# python3 with a working `-m venv` and its C headers (the cffi extension).
check_python() {
    if ! have python3; then
        need python3 "the Python binding and its tests (bindings/python)"
        need python3-venv "python3 -m venv for the test environment (gives ensurepip)"
        need python3-dev "Python.h: pip compiles the binding's cffi extension"
        return 0
    fi
    local where
    where=$(command -v python3)
    if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        if from_apt python3; then
            need python3-venv "python3 -m venv for the test environment: $where has no ensurepip"
        else
            unfixable+=("$where has no ensurepip (python3 -m venv fails) and is not apt's; install its venv support, or apt-get install python3-venv and put /usr/bin first on PATH")
        fi
    fi
    if ! python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' >/dev/null 2>&1; then
        if from_apt python3; then
            need python3-dev "Python.h: pip compiles the binding's cffi extension; $where has no headers"
        else
            unfixable+=("$where has no Python.h and is not apt's; install its headers, or apt-get install python3-dev and put /usr/bin first on PATH")
        fi
    fi
}

# node_dir: the prefix whose include/node has the Node headers of the node on
# PATH (node-gyp builds against them instead of downloading them).
node_dir() {
    local prefix dir
    prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
    for dir in "$prefix" /usr; do
        [ -f "$dir/include/node/node_api.h" ] && { echo "$dir"; return 0; }
    done
    return 1
}

# node, npm, and the headers that node-gyp needs for the ffi-napi example addon.
check_node() {
    if ! have node; then
        need nodejs "the Node binding and its tests (bindings/node)"
        need libnode-dev "Node's headers: node-gyp builds the ffi-napi example addon offline"
    elif ! node_dir >/dev/null; then
        if from_apt node; then
            need libnode-dev "Node's headers: node-gyp builds the ffi-napi example addon offline"
        else
            say "warning: no headers for $(command -v node) ($(node --version)); node-gyp will try to download them"
        fi
    fi
    have npm || need npm "installs koffi and the ffi-napi example's packages from the npm registry"
    # pip and npm fetch over https; a minimal Debian has no CA bundle.
    [ -s /etc/ssl/certs/ca-certificates.crt ] || need ca-certificates "the CA bundle pip and npm need for https"
}

check_other_bindings() {
    have luajit || need luajit "runs the LuaJIT binding's tests (bindings/lua)"
    have_header luajit-2.1/luajit.h || need libluajit-5.1-dev "LuaJIT's headers and libluajit-5.1.so (bindings/lua/README.md)"
    have swig || need swig "generates the Tcl module from bindings/swig/vdb.i"
    { have tclsh && { have_header tcl8.6/tcl.h || have_header tcl.h; }; } ||
        need tcl-dev "tclsh and tcl.h: build and run the SWIG Tcl module"
}

collect() {
    packages=() reasons=() unfixable=()
    check_build
    [ "$want_tests" -eq 0 ] || check_tests
    if [ "$want_bindings" -eq 1 ]; then
        check_python
        check_node
        check_other_bindings
    fi
}

list_packages() {
    local i
    for i in "${!packages[@]}"; do
        printf '  %-18s %s\n' "${packages[$i]}" "${reasons[$i]}" >&2
    done
}

report_unfixable() {
    local problem
    for problem in "${unfixable[@]}"; do say "cannot fix with apt: $problem"; done
    [ ${#unfixable[@]} -eq 0 ]
}

# apt_install: apt-get update and install, with apt's own per-package lines
# (Get:, Unpacking, Setting up) so a long install shows what it is doing.
apt_install() {
    local as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        have sudo || { say "not root and no sudo: run as root, or install: ${packages[*]}"; exit 1; }
        as_root=(sudo)
    fi
    say "apt-get update"
    "${as_root[@]}" apt-get update
    say "apt-get install ${packages[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
}

main() {
    collect
    if [ ${#packages[@]} -eq 0 ]; then
        report_unfixable || exit 1
        exit 0
    fi
    say "missing on this machine (${#packages[@]} packages):"
    list_packages
    [ "$check_only" -eq 0 ] || { report_unfixable; exit 1; }
    report_unfixable || exit 1
    if ! have apt-get; then
        say "no apt-get here: install the equivalents of the packages above, then rerun"
        exit 1
    fi
    apt_install
    # Check again: an install that did not give the capability is an error now, not later.
    collect
    if [ ${#packages[@]} -ne 0 ]; then
        say "still missing after apt-get install:"
        list_packages
        exit 1
    fi
    report_unfixable
    say "done"
}

main
