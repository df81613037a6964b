#!/usr/bin/env bash
# Python interpreters this machine lacks, unpacked from Debian and run without installing them.
#
#   tests/debian_pythons.sh wrapper VERSION ARCH   print the path of a script that runs Python VERSION
#                                                  (3.11, 3.13 or 3.14) for ARCH (x86_64 or arm64);
#                                                  unpacks its Debian root the first time
#   tests/debian_pythons.sh root VERSION ARCH      print the Debian root itself
#   tests/debian_pythons.sh up                     every interpreter the tests use
#
# Settings (environment):
#   LAYER_BUILDER_DEBIAN_PYTHONS  cache folder (default /tmp/layer-builder-pythons)
#   LAYER_BUILDER_DEBIAN_MIRROR   Debian mirror (default: taken from the apt sources)
#
# How (see DESIGN notes): `debootstrap --foreign` downloads a suite's packages without running
# anything, `dpkg -x` unpacks each one. bookworm has python3.11, trixie 3.13, forky 3.14 (debootstrap
# has no forky script; sid's works). An arm64 root runs under `qemu-aarch64-static -L ROOT` (no
# kernel setup); forky's amd64 Python needs a newer glibc than the host's, so it runs through its
# own dynamic loader. Installs debootstrap and qemu-user-static when missing.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${LAYER_BUILDER_DEBIAN_PYTHONS:-/tmp/layer-builder-pythons}"
LAMBDA_ARM64_CPU="neoverse-n1"

say() { printf 'debian_pythons: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

suite_for() {
    case "$1" in
    3.11) echo bookworm ;;
    3.13) echo trixie ;;
    3.14) echo forky ;;
    *) die "no Debian suite has Python $1 (bookworm 3.11, trixie 3.13, forky 3.14)" ;;
    esac
}

debian_arch() {
    case "$1" in
    x86_64 | amd64) echo amd64 ;;
    arm64 | aarch64) echo arm64 ;;
    *) die "unknown architecture $1 (x86_64 or arm64)" ;;
    esac
}

install_missing() {
    local missing=()
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Unpacks SUITE for ARCH with pythonVERSION into $CACHE/SUITE-ARCH (once; concurrent callers wait).
ensure_root() {
    local version="$1" arch="$2" suite root mirror script staging
    suite="$(suite_for "$version")"
    root="$CACHE/$suite-$arch"
    [ -x "$root/usr/bin/python$version" ] && { echo "$root"; return 0; }
    install_missing
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.lock-$suite-$arch"
    flock 9
    if [ ! -x "$root/usr/bin/python$version" ]; then
        mirror="${LAYER_BUILDER_DEBIAN_MIRROR:-$(bash "$HERE/docker_engine.sh" mirror)}"
        [ -n "$mirror" ] || die "no Debian mirror in the apt sources; set LAYER_BUILDER_DEBIAN_MIRROR"
        script=""
        [ "$suite" = forky ] && script=/usr/share/debootstrap/scripts/sid
        staging="$(mktemp -d "$CACHE/.staging-$suite-$arch.XXXXXX")"
        say "debootstrap --foreign $suite $arch with python$version from $mirror (a minute or two)"
        # shellcheck disable=SC2086
        if ! debootstrap --foreign --arch="$arch" --variant=minbase --include="python$version" \
            "$suite" "$staging" "$mirror" $script >"$CACHE/debootstrap-$suite-$arch.log" 2>&1; then
            tail -n 20 "$CACHE/debootstrap-$suite-$arch.log" >&2 || true
            rm -rf "$staging"
            die "debootstrap failed (log: $CACHE/debootstrap-$suite-$arch.log)"
        fi
        # Unpack without running any maintainer script: the root is only ever read.
        for deb in "$staging"/var/cache/apt/archives/*.deb; do
            dpkg -x "$deb" "$staging"
        done
        rm -f "$staging"/var/cache/apt/archives/*.deb
        rm -rf "$root"
        mv "$staging" "$root"
    fi
    flock -u 9
    [ -x "$root/usr/bin/python$version" ] || die "$root has no usr/bin/python$version"
    echo "$root"
}

# Writes $CACHE/bin/pythonVERSION-ARCH, a wrapper a user could have written, and prints its path.
ensure_wrapper() {
    local version="$1" arch root wrapper host
    arch="$(debian_arch "$2")"
    root="$(ensure_root "$version" "$arch")"
    mkdir -p "$CACHE/bin"
    wrapper="$CACHE/bin/python$version-$arch"
    host="$(debian_arch "$(uname -m)")"
    if [ "$arch" != "$host" ]; then
        [ "$arch" = arm64 ] || die "only arm64 is emulated here"
        # Lambda's arm64 CPU (Graviton2). qemu's default "max" CPU offers SME, whose emulation in
        # qemu 7.2 computes wrong matrix products in the OpenBLAS kernels chosen for it.
        line="exec qemu-aarch64-static -cpu $LAMBDA_ARM64_CPU -L '$root' '$root/usr/bin/python$version' \"\$@\""
    else
        local libs="$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu"
        line="exec '$root/lib64/ld-linux-x86-64.so.2' --library-path '$libs' '$root/usr/bin/python$version' \"\$@\""
    fi
    printf '#!/bin/sh\n# Python %s for %s from Debian %s (tests/debian_pythons.sh)\n%s\n' \
        "$version" "$arch" "$(suite_for "$version")" "$line" >"$wrapper.partial"
    chmod +x "$wrapper.partial"
    mv "$wrapper.partial" "$wrapper"
    echo "$wrapper"
}

case "${1:-}" in
wrapper) ensure_wrapper "${2:?VERSION}" "${3:?ARCH}" ;;
root) ensure_root "${2:?VERSION}" "$(debian_arch "${3:?ARCH}")" ;;
up)
    for spec in "3.13 arm64" "3.14 arm64" "3.14 x86_64"; do
        # shellcheck disable=SC2086
        ensure_wrapper $spec
    done
    ;;
*)
    printf 'usage: %s wrapper|root VERSION ARCH | up\n' "$0" >&2
    exit 2
    ;;
esac
