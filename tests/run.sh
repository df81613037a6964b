#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it.
#
#   bash tests/run.sh [pytest args...]
#
# System packages: a Docker engine (docker.io) for the container tests (the tests' setup starts a
# private engine with tests/docker_engine.sh), debootstrap and qemu-user-static for the Debian-rooted
# interpreters that verify arm64 and python3.14 layers (tests/debian_pythons.sh), and the aarch64
# binutils and compiler so the arm64 strip and ELF checks run instead of skipping; Node.js for the
# CDK test (jsii runs aws-cdk-lib in node) and shellcheck, which actionlint runs on the example
# workflow's run: steps. Python packages go into .venv from pyproject.toml's [test] extra, with a
# current pip; aws-sam-cli into a virtual environment of its own (.venv-sam), so its pinned
# dependencies do not mix with the tool's.
#
# Then, for the full run (no pytest arguments), the clean-container check: the same command in a
# clean Debian container (tests/clean_container.sh), which catches a system package missing here.
#
# Settings (environment):
#   LAYER_BUILDER_VENV              the virtual environment (default .venv)
#   LAYER_BUILDER_TEST_DOCKER=0     no Docker engine: for runs that leave out the docker tests
#   LAYER_BUILDER_CLEAN_CONTAINER   1: always run the clean-container check, 0: never
#   LAYER_BUILDER_SAM_VENV          aws-sam-cli's virtual environment (default .venv-sam)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${LAYER_BUILDER_VENV:-.venv}"
DOCKER="${LAYER_BUILDER_TEST_DOCKER:-1}"
CLEAN="${LAYER_BUILDER_CLEAN_CONTAINER:-}"
[ -n "$CLEAN" ] || { [ "$#" -eq 0 ] && [ "$DOCKER" != 0 ] && CLEAN=1 || CLEAN=0; }

need=()
if [ "$DOCKER" != 0 ]; then
    command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
fi
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
command -v aarch64-linux-gnu-strip >/dev/null 2>&1 || need+=(binutils-aarch64-linux-gnu)
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu)
# The cross compiler links only with the arm64 C runtime files (crti.o), which
# --no-install-recommends leaves out.
[ -e /usr/aarch64-linux-gnu/lib/crti.o ] || need+=(libc6-dev-arm64-cross)
# llvm-strip: the minimizer's fallback strip for a machine without a GNU cross strip.
command -v llvm-strip >/dev/null 2>&1 || need+=(llvm)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v zip >/dev/null 2>&1 || need+=(zip)
# The HTML report tests open the page in headless Chromium.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The deployment examples' tests: jsii (aws-cdk-lib) runs in Node.js; actionlint runs shellcheck.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
# sam build runs the example's layer target with make (BuildMethod: makefile).
command -v make >/dev/null 2>&1 || need+=(make)
if [ "${#need[@]}" -gt 0 ]; then
    echo "run.sh: installing ${need[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e '.[test]'
SAM_VENV="${LAYER_BUILDER_SAM_VENV:-.venv-sam}"
if [ ! -x "$SAM_VENV/bin/sam" ]; then
    "$PYTHON" -m venv "$SAM_VENV"
    "$SAM_VENV/bin/python" -m pip install -q --upgrade pip
    "$SAM_VENV/bin/python" -m pip install -q aws-sam-cli
fi
export LAYER_BUILDER_SAM="$PWD/$SAM_VENV/bin/sam"

# A private Docker engine for the docker-marked tests (the tests' fixture would start it too;
# starting it here keeps the cold start out of test time). Stopped again when the run ends,
# unless it was already running before.
started_engine=""
if [ "$DOCKER" != 0 ] && { [ -z "${DOCKER_HOST:-}" ] || ! docker version >/dev/null 2>&1; }; then
    bash tests/docker_engine.sh up
    started_engine=1
    eval "$(bash tests/docker_engine.sh env)"
fi

status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
if [ "$CLEAN" = 1 ]; then
    bash tests/clean_container.sh || status=$((status == 0 ? 1 : status))
fi
if [ -n "$started_engine" ]; then
    bash tests/docker_engine.sh down || echo "run.sh: warning: stopping the test engine failed" >&2
fi
exit "$status"
