#!/usr/bin/env bash
# Runs the test command (tests/run.sh) in a clean Debian container, so that every system package
# the tests need must be installed by the test command itself: a package someone installed by hand
# on the CI machine makes the suite green there and red on the next machine.
#
#   bash tests/clean_container.sh [pytest args...]      default: -m "not docker and not slow"
#
# The container is the docker tests' stand-in image (Debian bookworm minbase with python3; started
# with tests/docker_engine.sh up). It gets the repository's files as a fresh clone would have them
# (tracked and untracked-but-not-ignored files; no .venv, no caches), the host's CA bundle and pip
# index settings, and the host network. The Docker tests are left out inside: the engine runs here.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE="layer-builder-standin:bookworm"
# Not the slow builds either: they need a Python 3.12 for x86_64, which no Debian package provides
# (this machine's comes from pyenv), and they take long on a CI machine's two cores. They run outside.
[ "$#" -gt 0 ] || set -- -m "not docker and not slow"

bash tests/docker_engine.sh up
eval "$(bash tests/docker_engine.sh env)"

args=(--rm -i --network host -e LANG=C.UTF-8)
# The host's CA bundle and pip settings: some networks only reach the package index through them.
for name in PIP_CERT SSL_CERT_FILE REQUESTS_CA_BUNDLE; do
    value="${!name:-}"
    if [ -n "$value" ] && [ -f "$value" ]; then
        args+=(-v "$value:$value:ro" -e "$name=$value")
    fi
done
# Local folders and files that pip settings name (find-links, file:// indexes, cert) are mounted
# read-only at the same path.
mount_locations() {
    local word
    for word in $1; do
        word="${word#*=}"
        word="${word#file://}"
        # A local index (…/simple) links to files beside it: mount its parent.
        case "$word" in */simple | */simple/) word="$(dirname "$word")" ;; esac
        case "$word" in /*) [ -e "$word" ] && args+=(-v "$word:$word:ro") ;; esac
    done
    return 0
}
for name in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT PIP_FIND_LINKS; do
    value="${!name:-}"
    [ -n "$value" ] || continue
    args+=(-e "$name=$value")
    mount_locations "$value"
done
user_config="${XDG_CONFIG_HOME:-$HOME/.config}/pip/pip.conf"
[ -f /etc/pip.conf ] && args+=(-v "/etc/pip.conf:/etc/pip.conf:ro") && mount_locations "$(cat /etc/pip.conf)"
for config in "$user_config" "$HOME/.pip/pip.conf"; do
    if [ -f "$config" ]; then
        args+=(-v "$config:/root/.config/pip/pip.conf:ro")
        mount_locations "$(cat "$config")"
        break
    fi
done
for name in LAYER_BUILDER_DEBIAN_MIRROR; do
    [ -n "${!name:-}" ] && args+=(-e "$name=${!name}")
done

# What a fresh clone has, plus files not yet committed (but never ignored ones such as .venv).
files() {
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' path; do
        [ -e "$path" ] && printf '%s\0' "$path"
    done
}

echo "clean_container: running tests/run.sh $* in $IMAGE" >&2
files | tar --null -T - -c | docker run "${args[@]}" "$IMAGE" /bin/bash -c '
    set -e
    mkdir -p /repo && tar -x -C /repo && cd /repo
    # Its own virtual environment, and no Docker engine of its own: the docker tests run outside.
    export LAYER_BUILDER_VENV=/tmp/clean-venv LAYER_BUILDER_TEST_DOCKER=0 LAYER_BUILDER_CLEAN_CONTAINER=0
    exec bash tests/run.sh "$@"
' clean-container "$@"
