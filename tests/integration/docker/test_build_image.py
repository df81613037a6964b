"""Dockerfile.build on a real engine: built FROM the stand-in once, offline, then reused."""

from __future__ import annotations

import docker.errors
import pytest
from support.paths import REPO

from builder.engine.container import ensure_build_image, open_container
from builder.errors import ContainerError

pytestmark = pytest.mark.docker

DOCKERFILE = REPO / "Dockerfile.build"
PLATFORM = "linux/amd64"


def ensure(client, base_image: str, lines: list[str]) -> str:
    # network "none": the stand-in has binutils, so the build must not need the network.
    return ensure_build_image(
        client,
        base_image=base_image,
        dockerfile=DOCKERFILE,
        platform=PLATFORM,
        network="none",
        on_output=lines.append,
    )


def test_build_image_is_built_once_then_reused(docker_client, standin_image) -> None:
    first_lines: list[str] = []
    tag = ensure(docker_client, standin_image, first_lines)
    # Start from a clean slate so the first call really builds (a previous run may have built it).
    docker_client.images.remove(tag, noprune=False)
    first_lines.clear()

    assert ensure(docker_client, standin_image, first_lines) == tag
    second_lines: list[str] = []
    assert ensure(docker_client, standin_image, second_lines) == tag

    assert any(line.startswith("Successfully tagged " + tag) for line in first_lines)
    assert second_lines == []  # nothing built the second time
    assert docker_client.images.get(tag).labels["layer-builder.base-image"] == standin_image


def test_build_image_has_strip_and_the_base_python(docker_client, standin_image) -> None:
    tag = ensure(docker_client, standin_image, [])

    with open_container(docker_client, image=tag, platform=PLATFORM, network="none") as box:
        output = box.run(["sh", "-c", "strip --version; python3 --version"], step="probe")

    assert "GNU strip" in output
    assert "Python 3.11" in output


def test_missing_base_image_cannot_be_pulled_and_says_how_to_load_it(docker_client) -> None:
    with pytest.raises(ContainerError) as caught:
        ensure(docker_client, "layer-builder-absent-base:1", [])

    message = str(caught.value)
    assert "image layer-builder-absent-base:1 is not present in the engine for linux/amd64" in message
    assert "cannot be pulled" in message
    assert "docker load -i" in message
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get("layer-builder-absent-base:1")
