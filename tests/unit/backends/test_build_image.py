"""The build image: built once per base image, Dockerfile and platform; base images never re-pulled."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import docker.errors
import pytest

from builder.engine.container import DISK_FIX, build_image_tag, ensure_build_image
from builder.errors import ContainerError

BASE = "public.ecr.aws/sam/build-python3.12:latest"
DOCKERFILE = b"ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN true\n"


@pytest.fixture
def dockerfile(tmp_path: Path) -> Path:
    path = tmp_path / "Dockerfile.build"
    path.write_bytes(DOCKERFILE)
    return path


def ensure(client, dockerfile: Path, **kwargs) -> str:
    settings: dict = {
        "base_image": BASE,
        "dockerfile": dockerfile,
        "platform": "linux/amd64",
        "network": "host",
    }
    settings.update(kwargs)
    return ensure_build_image(client, **settings)


def context_files(context: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(context)) as archive:
        return {member.name: archive.extractfile(member).read() for member in archive.getmembers()}


def test_builds_from_the_local_base_without_pulling(client, engine, dockerfile: Path) -> None:
    engine.add_image(BASE, "sha256:base1")

    tag = ensure(client, dockerfile, network="none")

    assert tag == build_image_tag("sha256:base1", DOCKERFILE, "linux/amd64")
    assert tag.startswith("layer-builder-build:")
    assert engine.named("pull") == []
    [(_, build)] = engine.named("build")
    assert build["tag"] == tag
    assert build["buildargs"] == {"BASE_IMAGE": "sha256:base1"}
    assert build["platform"] == "linux/amd64"
    assert build["network_mode"] == "none"
    assert build["pull"] is False
    # Only the Dockerfile is sent, not the work tree.
    assert context_files(build["fileobj"]) == {"Dockerfile": DOCKERFILE}


def test_second_call_reuses_the_tagged_image(client, engine, dockerfile: Path) -> None:
    engine.add_image(BASE, "sha256:base1")

    first = ensure(client, dockerfile)
    second = ensure(client, dockerfile)

    assert first == second
    assert len(engine.named("build")) == 1


def test_build_output_is_streamed(client, engine, dockerfile: Path) -> None:
    engine.add_image(BASE, "sha256:base1")
    engine.build_chunks = [
        {"stream": "Step 1/3 : ARG BASE_IMAGE\n"},
        {"stream": "\n"},
        {"stream": " ---> 3de\n"},
    ]
    lines: list[str] = []

    ensure(client, dockerfile, on_output=lines.append)

    assert lines == ["Step 1/3 : ARG BASE_IMAGE", " ---> 3de"]


def test_tag_changes_with_base_dockerfile_and_platform() -> None:
    tag = build_image_tag("sha256:a", DOCKERFILE, "linux/amd64")

    assert build_image_tag("sha256:a", DOCKERFILE, "linux/amd64") == tag
    assert build_image_tag("sha256:b", DOCKERFILE, "linux/amd64") != tag
    assert build_image_tag("sha256:a", DOCKERFILE + b"RUN true\n", "linux/amd64") != tag
    assert build_image_tag("sha256:a", DOCKERFILE, "linux/arm64") != tag


def test_missing_base_is_pulled_when_a_registry_answers(client, engine, dockerfile: Path) -> None:
    tag = ensure(client, dockerfile, platform="linux/arm64")

    assert engine.named("pull") == [("pull", BASE, "linux/arm64")]
    assert tag == build_image_tag(f"sha256:pulled-{BASE}", DOCKERFILE, "linux/arm64")


def test_base_only_for_another_platform_is_not_used(client, engine, dockerfile: Path) -> None:
    engine.add_image(BASE, "sha256:amd64-only", arch="amd64")

    ensure(client, dockerfile, platform="linux/arm64")

    assert engine.named("pull") == [("pull", BASE, "linux/arm64")]
    [(_, build)] = engine.named("build")
    assert build["buildargs"] == {"BASE_IMAGE": f"sha256:pulled-{BASE}"}


def test_missing_base_without_registry_says_how_to_load_it(client, engine, dockerfile: Path) -> None:
    engine.pull_error = docker.errors.APIError(
        "500", explanation='Get "https://public.ecr.aws/v2/": dial tcp: lookup public.ecr.aws: no such host'
    )

    with pytest.raises(ContainerError) as caught:
        ensure(client, dockerfile)

    message = str(caught.value)
    assert f"image {BASE} is not present in the engine for linux/amd64 and cannot be pulled" in message
    assert "no such host" in message
    assert f"docker save {BASE}" in message
    assert "docker load -i" in message
    assert "--base-image" in message
    assert engine.named("build") == []


def test_failed_build_names_the_step_and_last_lines(client, engine, dockerfile: Path) -> None:
    engine.add_image(BASE, "sha256:base1")
    engine.build_chunks = [
        {"stream": "Step 3/5 : RUN dnf install -y binutils\n"},
        {"stream": "Error: Failed to download metadata for repo 'amazonlinux'\n"},
        {"error": "The command '/bin/sh -c dnf install -y binutils' returned a non-zero code: 1"},
    ]

    with pytest.raises(ContainerError) as caught:
        ensure(client, dockerfile)

    message = str(caught.value)
    assert message.startswith("build-image: building layer-builder-build:")
    assert "returned a non-zero code: 1" in message
    assert "    Error: Failed to download metadata for repo 'amazonlinux'" in message.splitlines()


def test_full_disk_during_build_gets_the_disk_fix(client, engine, dockerfile: Path) -> None:
    engine.add_image(BASE, "sha256:base1")
    engine.build_chunks = [{"error": "write /var/lib/docker/tmp/x: no space left on device"}]

    with pytest.raises(ContainerError) as caught:
        ensure(client, dockerfile)

    assert caught.value.hint == DISK_FIX
