#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it.
#
#   bash tests/run.sh [pytest args...]
#
# System packages: a Docker engine (docker.io) and debootstrap for the container tests (the
# tests' setup starts a private engine with tests/docker_engine.sh), and the aarch64 binutils and
# compiler so the arm64 strip and ELF checks run instead of skipping. Python packages go into
# .venv from pyproject.toml's [test] extra, with a current pip.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v aarch64-linux-gnu-strip >/dev/null 2>&1 || need+=(binutils-aarch64-linux-gnu)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
# The cross compiler links only with the arm64 C runtime files (crti.o), which
# --no-install-recommends leaves out.
[ -e /usr/aarch64-linux-gnu/lib/crti.o ] || need+=(libc6-dev-arm64-cross)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v zip >/dev/null 2>&1 || need+=(zip)
# The HTML report tests open the page in headless Chromium.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
    echo "run.sh: installing ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# A private Docker engine for the docker-marked tests (the tests' fixture would start it too;
# starting it here keeps the cold start out of test time). Stopped again when the run ends,
# unless it was already running before.
started_engine=""
if [ -z "${DOCKER_HOST:-}" ] || ! docker version >/dev/null 2>&1; then
    bash tests/docker_engine.sh up
    started_engine=1
    eval "$(bash tests/docker_engine.sh env)"
fi

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ -n "$started_engine" ]; then
    bash tests/docker_engine.sh down || echo "run.sh: warning: stopping the test engine failed" >&2
fi
exit "$status"
