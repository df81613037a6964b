#!/usr/bin/env bash
# A private Docker engine for the docker-marked tests, also usable by hand.
#
#   tests/docker_engine.sh up      install docker.io + debootstrap if missing, start dockerd on a
#                                  private socket, build the stand-in base image; idempotent
#   tests/docker_engine.sh arm64   `up`, then register qemu-user emulation with binfmt_misc and build
#                                  the arm64 stand-in image (trixie, python3.13); idempotent
#   tests/docker_engine.sh env     print the `export DOCKER_HOST=...` line for this engine
#   tests/docker_engine.sh down    stop the daemon; keeps images and the rootfs cache for a fast `up`
#   tests/docker_engine.sh purge   `down`, then delete the state folder (images and cache too)
#
# Usage by hand:  tests/docker_engine.sh up && eval "$(tests/docker_engine.sh env)"
#
# Settings (environment):
#   LAYER_BUILDER_DOCKER_STATE   state folder (default /tmp/layer-builder-docker)
#   LAYER_BUILDER_DEBIAN_MIRROR  Debian mirror for debootstrap (default: taken from the apt sources)
#
# Why this shape: no image registry is reachable on the machines the tests run on, so nothing may
# pull. The stand-in base image is a debootstrapped Debian bookworm
# (python3 3.11 + pip + binutils) imported with `docker import`. The engine has no bridge network
# and touches no iptables, so containers use `--network host`.
set -euo pipefail

STATE="${LAYER_BUILDER_DOCKER_STATE:-/tmp/layer-builder-docker}"
SOCK="$STATE/docker.sock"
DATA_ROOT="$STATE/data"
EXEC_ROOT="$STATE/exec"
PIDFILE="$STATE/dockerd.pid"
LOG="$STATE/dockerd.log"
CACHE="$STATE/cache"
STANDIN_IMAGE="layer-builder-standin:bookworm"
STANDIN_SUITE="bookworm"
STANDIN_PACKAGES="python3,python3-pip,python3-venv,binutils"
STANDIN_TARBALL="$CACHE/standin-$STANDIN_SUITE.tar"
# The arm64 stand-in: what a user gets from the arm64 Lambda build images, with Debian's Python 3.13.
ARM64_IMAGE="layer-builder-standin:trixie-arm64"
ARM64_IMAGE_VERSION="2"  # bump when the image content changes: `up` rebuilds it
ARM64_SUITE="trixie"
ARM64_TARBALL="$CACHE/standin-$ARM64_SUITE-arm64-v2.tar"
BINFMT_DIR="/proc/sys/fs/binfmt_misc"
START_TIMEOUT_SECONDS=60
STOP_TIMEOUT_SECONDS=30

say() { printf 'docker_engine: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

engine() { docker -H "unix://$SOCK" "$@"; }

engine_answers() { [ -S "$SOCK" ] && engine version >/dev/null 2>&1; }

daemon_pid() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid="$(cat "$PIDFILE")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

install_packages() {
    local missing=()
    # /usr/local/bin may hold a docker client without a daemon: dockerd is what we need.
    command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
    command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
    [ "${#missing[@]}" -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]} (run with sudo)"
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Prints the first Debian archive URI of the machine's apt sources (one-line .list files and
# deb822 .sources files), skipping security/updates/backports suites: debootstrap needs the
# main archive, and hard-coding a host would bypass the mirror this machine is set up to use.
apt_mirror() {
    local files=()
    [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
    for f in /etc/apt/sources.list.d/*.list; do [ -f "$f" ] && files+=("$f"); done
    {
        if [ "${#files[@]}" -gt 0 ]; then
            sed -E -n 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3/p' \
                "${files[@]}"
        fi
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            awk 'BEGIN { RS = ""; FS = "\n" }
                {
                    types = ""; uris = ""; suites = ""; enabled = "yes"
                    for (i = 1; i <= NF; i++) {
                        if ($i ~ /^Types:/) types = substr($i, 7)
                        else if ($i ~ /^URIs:/) uris = substr($i, 6)
                        else if ($i ~ /^Suites:/) suites = substr($i, 8)
                        else if ($i ~ /^Enabled:/) enabled = substr($i, 9)
                    }
                    if (types !~ /(^|[[:space:]])deb([[:space:]]|$)/ || enabled ~ /no/) next
                    split(uris, u, /[[:space:]]+/); split(suites, s, /[[:space:]]+/)
                    for (j in u) if (u[j] != "") for (k in s) if (s[k] != "") print u[j], s[k]
                }' "$f"
        done
    } | awk '$1 ~ /\/debian\/?$/ && $2 !~ /-(security|updates|backports)$/ { print $1; exit }'
}

start_daemon() {
    if engine_answers; then
        say "engine already answering on $SOCK"
        return 0
    fi
    if pid="$(daemon_pid)"; then
        say "dockerd (pid $pid) is running but not answering; waiting for it"
    else
        rm -f "$SOCK" "$PIDFILE"
        mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
        say "starting dockerd (data root $DATA_ROOT, log $LOG)"
        # setsid: the daemon outlives this script and is not hit by the caller's Ctrl-C.
        setsid dockerd \
            --data-root "$DATA_ROOT" \
            --exec-root "$EXEC_ROOT" \
            --pidfile "$PIDFILE" \
            -H "unix://$SOCK" \
            --iptables=false \
            --bridge=none \
            >>"$LOG" 2>&1 </dev/null &
    fi
    local waited=0
    until engine_answers; do
        if [ "$waited" -ge "$START_TIMEOUT_SECONDS" ]; then
            tail -n 20 "$LOG" >&2 || true
            die "dockerd did not answer on $SOCK within ${START_TIMEOUT_SECONDS}s (log: $LOG)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "engine answering on $SOCK"
}

build_standin_tarball() {
    local mirror rootfs
    mirror="${LAYER_BUILDER_DEBIAN_MIRROR:-$(apt_mirror)}"
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources*; set LAYER_BUILDER_DEBIAN_MIRROR"
    rootfs="$(mktemp -d "$STATE/rootfs.XXXXXX")"
    say "debootstrap $STANDIN_SUITE from $mirror (about a minute)"
    if ! debootstrap --variant=minbase --include="$STANDIN_PACKAGES" \
        "$STANDIN_SUITE" "$rootfs" "$mirror" >"$STATE/debootstrap.log" 2>&1; then
        tail -n 20 "$STATE/debootstrap.log" >&2 || true
        rm -rf "$rootfs"
        die "debootstrap failed (log: $STATE/debootstrap.log)"
    fi
    # The downloaded .debs are not needed in the image.
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    mkdir -p "$CACHE"
    tar -C "$rootfs" -c . >"$STANDIN_TARBALL.partial"
    mv "$STANDIN_TARBALL.partial" "$STANDIN_TARBALL"
    rm -rf "$rootfs"
}

build_standin_image() {
    if engine image inspect "$STANDIN_IMAGE" >/dev/null 2>&1; then
        say "image $STANDIN_IMAGE present"
        return 0
    fi
    [ -f "$STANDIN_TARBALL" ] || build_standin_tarball
    say "importing $STANDIN_IMAGE from $STANDIN_TARBALL"
    engine import \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["/bin/bash"]' \
        - "$STANDIN_IMAGE" <"$STANDIN_TARBALL" >/dev/null
}

cmd_up() {
    mkdir -p "$STATE"
    install_packages
    start_daemon
    build_standin_image
    say "ready; use: export DOCKER_HOST=unix://$SOCK"
}

# Lets the engine run arm64 containers the way Docker Desktop does: the kernel hands aarch64 binaries
# to qemu-user. The F flag opens the emulator now, so it also works inside containers' own roots.
register_binfmt() {
    local conf=/usr/lib/binfmt.d/qemu-aarch64.conf
    if ! command -v qemu-aarch64-static >/dev/null 2>&1 || [ ! -f "$conf" ]; then
        [ "$(id -u)" -eq 0 ] || die "need root to install qemu-user-static (run with sudo)"
        say "installing qemu-user-static"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
    fi
    if [ ! -e "$BINFMT_DIR/register" ]; then
        mount -t binfmt_misc binfmt_misc "$BINFMT_DIR" ||
            die "cannot mount binfmt_misc at $BINFMT_DIR (needs root on the engine's host)"
    fi
    if [ ! -e "$BINFMT_DIR/qemu-aarch64" ]; then
        say "registering qemu-aarch64 with binfmt_misc"
        # The conf line without its flags, then F (fix binary) plus the P and O the conf asks for.
        sed -E 's/:[A-Z]*$/:OPF/' "$conf" >"$BINFMT_DIR/register"
    fi
    [ "$(head -n 1 "$BINFMT_DIR/qemu-aarch64")" = enabled ] || die "qemu-aarch64 is registered but disabled"
}

# An arm64 root unpacked without running anything in it (`dpkg -x`), so no emulation is needed to
# make it; only the steps maintainer scripts would do that a container needs are done by hand.
build_arm64_tarball() {
    local mirror rootfs
    mirror="${LAYER_BUILDER_DEBIAN_MIRROR:-$(apt_mirror)}"
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources*; set LAYER_BUILDER_DEBIAN_MIRROR"
    rootfs="$(mktemp -d "$STATE/rootfs-arm64.XXXXXX")"
    say "debootstrap --foreign $ARM64_SUITE arm64 from $mirror (a minute or two)"
    if ! debootstrap --foreign --arch=arm64 --variant=minbase --include="$STANDIN_PACKAGES" \
        "$ARM64_SUITE" "$rootfs" "$mirror" >"$STATE/debootstrap-arm64.log" 2>&1; then
        tail -n 20 "$STATE/debootstrap-arm64.log" >&2 || true
        rm -rf "$rootfs"
        die "debootstrap failed (log: $STATE/debootstrap-arm64.log)"
    fi
    for deb in "$rootfs"/var/cache/apt/archives/*.deb; do
        dpkg -x "$deb" "$rootfs"
    done
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/debootstrap
    # base-passwd's postinst would write these; dash's would point /bin/sh at dash.
    cp "$rootfs/usr/share/base-passwd/passwd.master" "$rootfs/etc/passwd"
    cp "$rootfs/usr/share/base-passwd/group.master" "$rootfs/etc/group"
    [ -e "$rootfs/usr/bin/sh" ] || ln -s dash "$rootfs/usr/bin/sh"
    # ca-certificates' postinst would write the bundle Debian's pip loads when it starts.
    mkdir -p "$rootfs/etc/ssl/certs"
    cat "$rootfs"/usr/share/ca-certificates/mozilla/*.crt >"$rootfs/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$CACHE"
    tar -C "$rootfs" -c . >"$ARM64_TARBALL.partial"
    mv "$ARM64_TARBALL.partial" "$ARM64_TARBALL"
    rm -rf "$rootfs"
}

build_arm64_image() {
    local have
    have="$(engine image inspect --format '{{ index .Config.Labels "layer-builder.standin-version" }}' \
        "$ARM64_IMAGE" 2>/dev/null || true)"
    if [ "$have" = "$ARM64_IMAGE_VERSION" ]; then
        say "image $ARM64_IMAGE present"
        return 0
    fi
    [ -f "$ARM64_TARBALL" ] || build_arm64_tarball
    say "building $ARM64_IMAGE from $ARM64_TARBALL"
    # `docker import --platform` is ignored by this engine (the image would say amd64); a build
    # FROM scratch records the platform it was asked for.
    local context
    context="$(mktemp -d "$STATE/context-arm64.XXXXXX")"
    ln "$ARM64_TARBALL" "$context/rootfs.tar" 2>/dev/null || cp "$ARM64_TARBALL" "$context/rootfs.tar"
    printf 'FROM scratch\nADD rootfs.tar /\nENV LANG=C.UTF-8\nLABEL layer-builder.standin-version=%s\nCMD ["/bin/bash"]\n' \
        "$ARM64_IMAGE_VERSION" >"$context/Dockerfile"
    DOCKER_BUILDKIT=0 engine build -q --platform linux/arm64 -t "$ARM64_IMAGE" "$context" >/dev/null ||
        { rm -rf "$context"; die "building $ARM64_IMAGE failed"; }
    rm -rf "$context"
}

cmd_arm64() {
    cmd_up
    register_binfmt
    build_arm64_image
    engine run --rm --platform linux/arm64 --network none "$ARM64_IMAGE" uname -m | grep -qx aarch64 ||
        die "the engine does not run $ARM64_IMAGE as aarch64"
    say "arm64 ready: $ARM64_IMAGE"
}

cmd_down() {
    local pid waited=0
    if pid="$(daemon_pid)"; then
        # Containers first, so that none is left half-running in the kept data root.
        if engine_answers; then
            engine ps -aq | xargs -r docker -H "unix://$SOCK" rm -f >/dev/null 2>&1 || true
        fi
        say "stopping dockerd (pid $pid)"
        kill "$pid"
        while kill -0 "$pid" 2>/dev/null; do
            if [ "$waited" -ge "$STOP_TIMEOUT_SECONDS" ]; then
                say "dockerd did not stop in ${STOP_TIMEOUT_SECONDS}s; killing it"
                kill -9 "$pid" 2>/dev/null || true
                break
            fi
            sleep 1
            waited=$((waited + 1))
        done
    else
        say "no dockerd running for $STATE"
    fi
    # dockerd leaves its network namespace bind-mounted under the exec root; unmount it first.
    if [ -d "$EXEC_ROOT" ]; then
        grep -F " $EXEC_ROOT/" /proc/mounts | awk '{ print $2 }' | sort -r | xargs -r -n1 umount -l || true
    fi
    rm -rf "$SOCK" "$PIDFILE" "$EXEC_ROOT" || say "warning: could not remove all of $EXEC_ROOT"
}

cmd_purge() {
    cmd_down
    # The data root may still hold mounts if the daemon was killed; unmount before deleting.
    if [ -d "$DATA_ROOT" ]; then
        grep -F " $DATA_ROOT/" /proc/mounts | awk '{ print $2 }' | sort -r | xargs -r -n1 umount -l || true
    fi
    rm -rf "$STATE"
    say "removed $STATE"
}

case "${1:-}" in
up) cmd_up ;;
arm64) cmd_arm64 ;;
down) cmd_down ;;
purge) cmd_purge ;;
env) printf 'export DOCKER_HOST=unix://%s\n' "$SOCK" ;;
mirror) apt_mirror ;;
*)
    printf 'usage: %s up|arm64|down|purge|env\n' "$0" >&2
    exit 2
    ;;
esac
