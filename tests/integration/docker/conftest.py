"""A real Docker engine for the docker-marked tests.

The session fixture uses the engine DOCKER_HOST points at when it answers and has the stand-in
base image; otherwise it runs `tests/docker_engine.sh up` (private dockerd plus stand-in image) and
points DOCKER_HOST at it. When neither works the tests FAIL, never skip: CI must notice a machine
where the container backend cannot be tested.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator

import docker
import pytest
from support.paths import REPO
from support.prerequisites import run_or_fail

from builder.engine.container import connect, local_image_id
from builder.errors import ContainerError

ENGINE_SCRIPT = REPO / "tests" / "docker_engine.sh"
STANDIN_IMAGE = "layer-builder-standin:bookworm"
PLATFORM = "linux/amd64"
# A cold `up` installs packages and debootstraps (about 90 s here); allow for slow mirrors.
ENGINE_UP_TIMEOUT_SECONDS = 900


def _usable(base_url: str | None) -> docker.DockerClient | None:
    if not base_url:
        return None
    try:
        client = connect(base_url)
    except ContainerError:
        return None
    return client if local_image_id(client, STANDIN_IMAGE, PLATFORM) else None


def _start_engine() -> str:
    run_or_fail(["bash", str(ENGINE_SCRIPT), "up"], ENGINE_UP_TIMEOUT_SECONDS)
    env_line = subprocess.run(
        ["bash", str(ENGINE_SCRIPT), "env"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return env_line.removeprefix("export DOCKER_HOST=")


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client for a running engine that has the stand-in image; DOCKER_HOST set for the session."""
    base_url = os.environ.get("DOCKER_HOST")
    client = _usable(base_url)
    if client is None:
        base_url = _start_engine()
        client = _usable(base_url)
        if client is None:
            pytest.fail(f"the engine at {base_url} does not answer or lacks {STANDIN_IMAGE} after `up`")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_HOST", str(base_url))
        yield client
    client.close()


@pytest.fixture(scope="session")
def standin_image(docker_client: docker.DockerClient) -> str:
    return STANDIN_IMAGE


@pytest.fixture
def container_exists(docker_client: docker.DockerClient) -> Callable[[str], bool]:
    """Asks the engine itself whether a container of that name exists (running or not)."""

    def exists(name: str) -> bool:
        return bool(docker_client.containers.list(all=True, filters={"name": f"^{name}$"}))

    return exists
