"""The runtime's build image: the image every container that runs a target's code starts from.

It is the runtime's Amazon Linux image (or the user's --base-image) with data/Dockerfile.build on
top, built once per base image, Dockerfile and platform (`container.ensure_build_image`). A foreign
architecture runs under qemu with Lambda's arm64 CPU pinned. The build's docker backend installs,
compiles and smoke-tests in it; any other area that runs a target's code in a container starts it
from here, so both see the same image.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import docker

from builder.engine import container
from builder.errors import ContainerError
from builder.interpreters import locate
from builder.runtimes import LAMBDA_ARM64_CPU, Target, host_machine


def dockerfile_text() -> bytes:
    return resources.files("builder.data").joinpath("Dockerfile.build").read_bytes()


def base_image_for(target: Target, base_image: str | None) -> str:
    """The image the build image is built on: --base-image when given, else the runtime's."""
    return base_image or target.runtime.build_image


def ensure_image(
    client: docker.DockerClient,
    target: Target,
    *,
    base_image: str | None,
    network: str | None,
    scratch: Path,
    on_output: container.OutputCallback | None = None,
) -> str:
    """The tag of the target's build image (built the first time), checked to run on this engine.

    `scratch` is a folder the Dockerfile is written to while the image is built.
    """
    platform = target.arch.docker_platform
    with _dockerfile_on_disk(scratch) as dockerfile:
        image = container.ensure_build_image(
            client,
            base_image=base_image_for(target, base_image),
            dockerfile=dockerfile,
            platform=platform,
            network=network,
            on_output=on_output,
        )
    # Probing costs a throwaway container; only a foreign architecture needs it.
    if target.arch.machine != host_machine() and not container.can_run_platform(client, image, platform):
        raise container.unsupported_platform(platform)
    return image


def emulation_env(target: Target) -> dict[str, str]:
    """For a foreign architecture, the CPU qemu-user emulates: Lambda's arm64 CPU (Graviton2).

    qemu's default "max" CPU offers SME, which OpenBLAS then uses and qemu 7.2 emulates wrongly
    (matrix products come out wrong); a real Lambda CPU has no SME. Ignored when nothing emulates.
    """
    if target.arch.machine == host_machine() or target.arch.machine != "aarch64":
        return {}
    return {"QEMU_CPU": LAMBDA_ARM64_CPU}


@contextmanager
def _dockerfile_on_disk(work: Path) -> Iterator[Path]:
    path = work / "Dockerfile.build"
    path.write_bytes(dockerfile_text())
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def image_python(box: container.BuildContainer, target: Target, step: str) -> tuple[str, str]:
    """The image's interpreter of the target version, pythonX.Y, else python3 if it is that version:
    its command and the machine it reports."""
    wanted = target.runtime.python
    for executable in (f"python{wanted}", "python3"):
        code, output = box.run_unchecked([executable, "-c", locate.PROBE], step=step)
        answer = locate.parse_probe(output) if code == 0 else None
        if answer is not None and answer[0] == wanted:
            return executable, answer[1]
    raise ContainerError(
        step,
        f"the build image {box.image} has no Python {wanted} (tried python{wanted} and python3)",
        hint=f"use the runtime's build image ({target.runtime.build_image}) or a --base-image with Python {wanted}",
    )
