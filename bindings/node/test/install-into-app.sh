#!/usr/bin/env bash
# Installs the vdb package into new app folders outside the repository, the
# ways docs/node.md gives, and runs a small program in each
# (fixtures/app.js: create, add, search, the nearest id is right, delete and
# a filtered search, and the libvdb loaded is the one the install built):
#
#   npm install /path/to/libvdb/bindings/node            the folder
#   npm pack /path/to/libvdb/bindings/node && npm install ./vdb-<version>.tgz
#
# each with this machine's npm and with npm 9.2.0, Debian 12's. npm 9.0 to
# 9.4.1 copy a folder (install-links=true); later versions link it. When
# neither npm links, the folder is installed once more with
# --install-links=false. Every install builds libvdb with CMake, as a user's
# does (a few seconds each).
#
# The package comes from a scratch copy of this checkout's sources, as a fresh
# clone has them (no node_modules/, native/ or vendor/ in bindings/node): a
# linked folder gets its koffi and libvdb built inside it, and npm 9 leaves
# vendor/ in a folder it packed; that must not happen to this checkout.
#
#   bash bindings/node/test/install-into-app.sh
#   VDB_NPM9=/path/to/npm bash ...    use that npm instead of fetching npm@9.2.0
#
# The registry is needed for koffi (and npm@9.2.0): installs prefer npm's
# cache. The npm 9 part is skipped, saying so, only when the registry cannot
# be reached. Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# The install script must build, and require('vdb') must find what it built.
unset VDB_LIBRARY VDB_SOURCE_DIR VDB_SKIP_NATIVE_BUILD
work=$(mktemp -d /tmp/vdb-install-into-app.XXXXXX)
trap 'rm -rf "$work"' EXIT
flags=(--no-audit --no-fund --prefer-offline --loglevel=error)
start=$SECONDS
failed=0

# What npm or the package could leave in this checkout; none may appear.
strays=(package.json package-lock.json node_modules bindings/node/vendor)
present() { for f in "${strays[@]}"; do [ -e "$root/$f" ] && echo "$f"; done; true; }
before=$(present)

src="$work/libvdb"
mkdir -p "$src"
(cd "$root" && tar cf - --exclude=bindings/node/node_modules --exclude=bindings/node/native \
    --exclude=bindings/node/vendor --exclude=bindings/node/package-lock.json --exclude=bindings/node/examples \
    CMakeLists.txt cmake include lib bindings/node) | tar xf - -C "$src"
pkg="$src/bindings/node"

fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    [ -f "${2:-}" ] && sed 's/^/       /' "$2"
    return 0
}

# try_install <name> <npm> <npm install args...>: a new app, the install, the program.
try_install() {
    local name=$1 npm=$2 app="$work/app-$1" t0=$SECONDS how
    shift 2
    mkdir "$app"
    printf '{ "name": "app", "version": "1.0.0", "private": true }\n' >"$app/package.json"
    cp "$here/fixtures/app.js" "$app/index.js"
    if ! (cd "$app" && "$npm" install "$@" "${flags[@]}" --foreground-scripts) >"$app.log" 2>&1; then
        fail "$name: npm install $*" "$app.log"
        return
    fi
    how=copied
    [ -L "$app/node_modules/vdb" ] && how=linked
    if ! (cd "$app" && node index.js) >"$app.run" 2>&1; then
        cat "$app.log" >>"$app.run"
        fail "$name ($how): the program, then the install's output" "$app.run"
        return
    fi
    echo "ok   $name ($how, $((SECONDS - t0)) s): $(tail -n 1 "$app.run")"
    if [ "$how" = linked ]; then linked=yes; fi
}

# pack_folder <name> <npm>: npm pack the folder into tgz, and check the tarball.
pack_folder() {
    local dir="$work/pack-$1" files
    mkdir "$dir"
    tgz=
    if ! (cd "$dir" && "$2" pack "$pkg" "${flags[@]}") >"$dir.log" 2>&1; then
        fail "$1: npm pack" "$dir.log"
        return
    fi
    files=$(tar tzf "$dir"/vdb-*.tgz)
    if ! grep -qx package/vendor/include/vdb.h <<<"$files"; then
        fail "$1: the tarball carries no vendor/include/vdb.h"
    elif grep -q '^package/native/' <<<"$files"; then
        fail "$1: the tarball carries a built native/ (it must build where it is installed)"
    elif [ -e "$pkg/vendor" ]; then
        fail "$1: npm pack left vendor/ in the folder"
    else
        tgz=$(echo "$dir"/vdb-*.tgz)
    fi
}

# both <name> <npm>: a tarball made by that npm, then the folder.
both() {
    echo "--- $1: npm $("$2" --version)"
    pack_folder "$1" "$2"
    if [ -n "$tgz" ]; then try_install "$1-tarball" "$2" "$tgz"; fi
    try_install "$1-folder" "$2" "$pkg"
}

linked=no
both main npm

npm9=${VDB_NPM9:-}
if [ -z "$npm9" ] && [ "$(npm --version)" = 9.2.0 ]; then
    echo "--- npm9: this machine's npm is 9.2.0 already"
elif [ -z "$npm9" ]; then
    if npm install --prefix "$work/npm9" npm@9.2.0 "${flags[@]}" >"$work/npm9.log" 2>&1; then
        npm9="$work/npm9/node_modules/.bin/npm"
    elif ! npm ping >/dev/null 2>&1; then
        echo "SKIP npm 9: the registry ($(npm config get registry)) cannot be reached"
    else
        fail "npm install npm@9.2.0" "$work/npm9.log"
    fi
fi
if [ -n "$npm9" ]; then both npm9 "$npm9"; fi

if [ "$linked" = no ]; then
    echo "--- no npm linked the folder: again with --install-links=false"
    try_install main-folder-linked npm "$pkg" --install-links=false
fi

after=$(present)
if [ "$after" != "$before" ]; then
    fail "left in $root: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
fi

echo "install-into-app: $failed failed, $((SECONDS - start)) s"
[ "$failed" -eq 0 ]
