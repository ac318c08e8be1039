#!/usr/bin/env bash
# Runs the README's two commands (section "Two commands") the way a new user
# would, in a fresh Debian 12 root: debootstrap --variant=minbase bookworm
# (no compiler, no Python, no Node), a copy of this working tree in
# /root/libvdb (the files `git ls-files -co --exclude-standard` lists, so
# uncommitted work is included; no build*/ folders, no node_modules), entered
# with chroot. Prints each command's time and pass/fail, and the tail of its
# log when it fails; the full logs stay in a folder it prints. Run by hand, as
# root, on a Linux machine with debootstrap (about 20 minutes on 2 cores):
#
#   bash tests/fresh-debian.sh [--only PATTERN] [--keep-root] [--refresh] [--verbose]
#
#   --only PATTERN   run only the README commands that contain PATTERN (e.g. run-all)
#   --keep-root      leave the root in place after the run (for a look inside)
#   --refresh        debootstrap the base root again instead of using the cached one
#   --verbose        also stream the commands' output here, not only to the logs
#
#   FRESH_DIR        work folder (default /var/tmp/libvdb-fresh-debian): cache/
#                    holds the base root as a tarball, runs/<time>/ a run's root and logs
#   FRESH_MIRROR     the Debian archive (default http://deb.debian.org/debian)
#
# The first run debootstraps (a few minutes) and caches the finished base root
# as cache/bookworm-minbase-<arch>.tar; later runs unpack that in seconds. Only
# the host's network setup is carried in: /etc/resolv.conf, http(s)_proxy, and
# any site CA certificates in /usr/local/share/ca-certificates (an https proxy's;
# then PIP_CERT and NODE_EXTRA_CA_CERTS point at the bundle Debian builds).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
fresh_dir=${FRESH_DIR:-/var/tmp/libvdb-fresh-debian}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
only="" keep_root=0 refresh=0 verbose=0
run_dir="" root="" logs=""

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
say() { echo "fresh-debian: $*"; }
die() { echo "fresh-debian: $*" >&2; exit 1; }

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
        --only) only=${2:?--only needs a pattern}; shift ;;
        --keep-root) keep_root=1 ;;
        --refresh) refresh=1 ;;
        --verbose) verbose=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
        esac
        shift
    done
}

preflight() {
    [ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount and chroot need it)"
    local tool
    for tool in debootstrap chroot mount umount tar git mknod; do
        command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install debootstrap git)"
    done
    case $fresh_dir in /* ) ;; *) die "FRESH_DIR must be an absolute path" ;; esac
    case $fresh_dir in *[[:space:]]*) die "FRESH_DIR must not contain spaces" ;; esac
}

# The commands of the README's "Two commands" block, one a line, comments dropped:
# the test runs what the README says, not a copy that could drift from it.
readme_commands() {
    awk '/^## Two commands/ { s = 1; next }
        s && /^## / { exit }
        s && /^```/ { f = !f; next }
        s && f && NF { sub(/[[:space:]]+#.*/, ""); print }' "$repo/README.md"
}

# --- the base root, cached -------------------------------------------------

base_tarball() { echo "$fresh_dir/cache/$suite-minbase-$(dpkg --print-architecture 2>/dev/null || uname -m).tar"; }

make_base() {
    local tarball=$1 base=$run_dir/base
    say "debootstrap --variant=minbase $suite from $mirror (a few minutes; log: $logs/debootstrap.log)"
    if ! debootstrap --variant=minbase "$suite" "$base" "$mirror" >"$logs/debootstrap.log" 2>&1; then
        tail -n 30 "$logs/debootstrap.log" >&2
        die "debootstrap failed (full log: $logs/debootstrap.log)"
    fi
    unmount_under "$base" # debootstrap leaves nothing mounted when it succeeds; be sure
    mkdir -p "$(dirname "$tarball")"
    tar -C "$base" --numeric-owner -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf --one-file-system "$base"
    say "cached the base root: $tarball ($(du -h "$tarball" | cut -f1))"
}

unpack_base() {
    local tarball
    tarball=$(base_tarball)
    if [ "$refresh" -eq 1 ] || [ ! -s "$tarball" ]; then
        make_base "$tarball"
    else
        say "base root from the cache: $tarball (--refresh to debootstrap again)"
    fi
    mkdir -p "$root"
    tar -C "$root" --numeric-owner -xf "$tarball"
}

# --- what goes into the root ------------------------------------------------

# The working tree as git sees it, uncommitted and untracked-but-not-ignored
# files included, without build folders, node_modules or deleted files.
tree_files() {
    local file
    git -C "$repo" ls-files -z -co --exclude-standard | while IFS= read -r -d '' file; do
        case "/$file" in */build*/* | */node_modules/*) continue ;; esac
        [ -e "$repo/$file" ] || [ -L "$repo/$file" ] || continue
        printf '%s\0' "$file"
    done
}

copy_tree() {
    local dest=$root/root/libvdb
    mkdir -p "$dest"
    tree_files | tar -C "$repo" --null --no-recursion -T - -cf - | tar -C "$dest" -xf -
    say "copied the working tree: $(find "$dest" -type f | wc -l) files into /root/libvdb"
}

# The host's network setup only: name servers, proxies, a site's CA certificates.
chroot_env=(HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
carry_network() {
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    local var
    for var in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
        [ -z "${!var:-}" ] || chroot_env+=("$var=${!var}")
    done
    local certs=(/usr/local/share/ca-certificates/*.crt)
    [ -e "${certs[0]}" ] || return 0
    # Debian's ca-certificates, once install-deps installs it, adds these to its bundle.
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp "${certs[@]}" "$root/usr/local/share/ca-certificates/"
    chroot_env+=(PIP_CERT=/etc/ssl/certs/ca-certificates.crt NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
    say "carried the host's site CA certificates: ${certs[*]##*/}"
}

# --- mounts -----------------------------------------------------------------

# A /dev of its own (tmpfs with the usual nodes, a new devpts instance) rather
# than a bind of the host's: nothing mounted here can reach the host's /dev.
mount_dev() {
    local dev=$root/dev
    mount -t tmpfs -o mode=755,nosuid,size=16m fresh-dev "$dev"
    mknod -m 666 "$dev/null" c 1 3
    mknod -m 666 "$dev/zero" c 1 5
    mknod -m 666 "$dev/full" c 1 7
    mknod -m 666 "$dev/random" c 1 8
    mknod -m 666 "$dev/urandom" c 1 9
    mknod -m 666 "$dev/tty" c 5 0
    ln -s /proc/self/fd "$dev/fd"
    ln -s /proc/self/fd/0 "$dev/stdin"
    ln -s /proc/self/fd/1 "$dev/stdout"
    ln -s /proc/self/fd/2 "$dev/stderr"
    mkdir "$dev/pts" "$dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 fresh-devpts "$dev/pts"
    ln -s pts/ptmx "$dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev fresh-shm "$dev/shm"
}

mount_all() {
    mount -t proc -o nosuid,nodev,noexec fresh-proc "$root/proc"
    mount -t sysfs -o ro,nosuid,nodev,noexec fresh-sys "$root/sys"
    mount_dev
    chmod 1777 "$root/tmp" # /tmp is the root's own plain folder
}

# Mount points under $1, deepest first (from /proc/self/mountinfo; no spaces in them).
mounts_under() { awk -v p="$1/" 'index($5 "/", p) == 1 { print $5 }' /proc/self/mountinfo | sort -r; }

unmount_under() {
    local point try
    for try in 1 2 3; do
        [ -n "$(mounts_under "$1")" ] || return 0
        while read -r point; do umount "$point" 2>/dev/null || true; done < <(mounts_under "$1")
        sleep "$try"
    done
    while read -r point; do umount -l "$point" 2>/dev/null || true; done < <(mounts_under "$1")
    [ -z "$(mounts_under "$1")" ]
}

# Processes whose root is the chroot (a daemon a package started, say), by pid.
stop_chroot_processes() {
    local signal pid_dir
    for signal in TERM KILL; do
        for pid_dir in /proc/[0-9]*; do
            [ "$(readlink "$pid_dir/root" 2>/dev/null)" = "$root" ] && kill "-$signal" "${pid_dir#/proc/}" 2>/dev/null
        done
        sleep 1
    done
    return 0
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    [ -n "$run_dir" ] || exit "$status"
    [ -z "$root" ] || stop_chroot_processes
    if ! unmount_under "$run_dir"; then
        say "could not unmount everything under $run_dir; not deleting it:" >&2
        mounts_under "$run_dir" >&2
        exit 1
    fi
    if [ "$keep_root" -eq 1 ]; then
        say "the root is kept: $root (delete it with: rm -rf --one-file-system $root)"
    else
        rm -rf --one-file-system "$root" "$run_dir/base"
    fi
    say "logs: $logs"
    exit "$status"
}

# --- the run ----------------------------------------------------------------

# run_command NAME COMMAND: run COMMAND in /root/libvdb inside the root; log to $logs/NAME.log.
# It runs in the background and is waited for, so that a TERM or Ctrl-C reaches
# the trap at once (cleanup then stops what runs in the root), not when it ends.
run_command() {
    local log=$logs/$1.log
    local inside=(chroot "$root" /usr/bin/env -i "${chroot_env[@]}" /bin/bash -c "cd /root/libvdb && $2")
    if [ "$verbose" -eq 1 ]; then
        "${inside[@]}" </dev/null > >(tee "$log") 2>&1 &
    else
        "${inside[@]}" </dev/null >"$log" 2>&1 &
    fi
    wait "$!"
}

# What the fresh root has before the commands run: proof that it starts bare.
describe_root() {
    # shellcheck disable=SC2016 # expanded inside the root, not here
    chroot "$root" /usr/bin/env -i "${chroot_env[@]}" /bin/bash -c '
        . /etc/os-release; echo "fresh root: $PRETTY_NAME, $(dpkg-query -W | wc -l) packages"
        for tool in cc make cmake python3 node npm git; do
            printf "  %-8s %s\n" "$tool" "$(command -v "$tool" || echo "(none)")"
        done'
    say "host: kernel $(uname -r), vm.mmap_rnd_bits $(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo '?'), $(nproc) cores"
}

# The table of stages that tests/run-all.sh ends with, when the log has one.
stage_table() {
    grep -q '^=== summary ===$' "$1" || return 0
    sed -n '/^=== summary ===$/,$p' "$1" | sed '1d; s/^/    /'
}

# failure_excerpt LOG: for a log with run-all.sh's table, the last lines of
# each failed stage (a stage's output runs from its "=== name ===" line to the
# next stage's); for any other log, its last 40 lines.
failure_excerpt() {
    local log=$1 row stage stages=() failed_stages=()
    if ! grep -q '^=== summary ===$' "$log"; then
        echo "    --- the log's last 40 lines:"
        tail -n 40 "$log" | sed 's/^/    /'
        return 0
    fi
    while IFS= read -r row; do
        [[ $row =~ ^(.*[^ ])\ +([0-9]+)\ \ (.*)$ ]] || continue
        stage=${BASH_REMATCH[1]}
        [ "$stage" != total ] || continue
        stages+=("$stage")
        [ "${BASH_REMATCH[3]}" = pass ] || failed_stages+=("$stage")
    done < <(sed -n '/^=== summary ===$/,$p' "$log")
    local section
    for stage in "${failed_stages[@]}"; do
        section=$(awk -v want="=== $stage ===" -v list="$(printf '%s\n' "${stages[@]}" summary)" '
            BEGIN { n = split(list, s, "\n"); for (i = 1; i <= n; i++) top["=== " s[i] " ==="] = 1 }
            $0 == want { on = 1; next }
            on && ($0 in top) { exit }
            on { print }' "$log")
        # The failing check is often far from the end: show the lines that say so first.
        echo "    --- stage \"$stage\": lines that report a failure (at most 20):"
        printf '%s\n' "$section" | grep -E '^FAIL|not ok|FAILED|\(Failed\)|[Ee]rror[: ]|ERROR|Traceback' |
            grep -vE '^ *(ok|# Subtest)' | head -n 20 | sed 's/^/    /' || true
        echo "    --- stage \"$stage\": its last 30 lines:"
        printf '%s\n' "$section" | tail -n 30 | sed 's/^/    /'
    done
}

main() {
    parse_args "$@"
    preflight
    local commands=()
    mapfile -t commands < <(readme_commands)
    [ ${#commands[@]} -gt 0 ] || die "no commands found in README.md's \"## Two commands\" block"

    run_dir=$fresh_dir/runs/$(date +%Y%m%d-%H%M%S)
    root=$run_dir/root
    logs=$run_dir/logs
    mkdir -p "$logs"
    trap cleanup EXIT
    trap 'say "interrupted: stopping and cleaning up"; exit 130' INT
    trap 'say "terminated: stopping and cleaning up"; exit 143' TERM
    say "run folder: $run_dir"

    unpack_base
    copy_tree
    carry_network
    mount_all
    describe_root | tee "$logs/root.txt"

    local i command name start seconds status failed=0 summary=()
    for i in "${!commands[@]}"; do
        command=${commands[$i]}
        [ -z "$only" ] || [[ $command == *"$only"* ]] || continue
        name=$((i + 1))-$(basename "${command##* }" .sh)
        say "running: $command (log: $logs/$name.log)"
        start=$(date +%s)
        status=0
        run_command "$name" "$command" || status=$?
        seconds=$(($(date +%s) - start))
        if [ "$status" -eq 0 ]; then
            summary+=("$(printf '%-26s %6d s  pass' "$command" "$seconds")")
            say "passed in $seconds s: $command"
        else
            failed=$((failed + 1))
            summary+=("$(printf '%-26s %6d s  FAIL (exit %d)' "$command" "$seconds" "$status")")
            say "FAILED (exit $status) after $seconds s: $command"
            failure_excerpt "$logs/$name.log"
        fi
        stage_table "$logs/$name.log"
    done

    [ ${#summary[@]} -gt 0 ] || die "no README command contains \"$only\""
    echo
    say "summary (Debian $suite minbase, fresh root):"
    printf '  %s\n' "${summary[@]}" | tee "$logs/summary.txt"
    [ "$failed" -eq 0 ]
}

main "$@"
