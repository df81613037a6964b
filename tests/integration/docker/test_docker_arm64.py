"""The docker backend's arm64 path: arm64 containers on an x86_64 engine, with qemu-user emulation
registered in binfmt_misc, the way users run the official arm64 Lambda build images.

The stand-in image is Debian trixie for arm64 (python3.13), built by `tests/docker_engine.sh arm64`;
a real user gets the runtime's Amazon Linux arm64 build image.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from support.paths import REPO
from support.prerequisites import run_or_fail
from typer.testing import CliRunner

from builder.cli import app
from builder.engine.container import can_run_platform

pytestmark = [pytest.mark.docker, pytest.mark.network]
ENGINE_SCRIPT = REPO / "tests" / "docker_engine.sh"
ARM64_IMAGE = "layer-builder-standin:trixie-arm64"
TARGET = ["-r", "python3.13", "-a", "arm64"]


@pytest.fixture(scope="module")
def arm64_image(docker_client: docker.DockerClient) -> str:
    """The arm64 stand-in, with emulation registered; FAILS when the engine cannot run arm64."""
    run_or_fail(["bash", str(ENGINE_SCRIPT), "arm64"], 900)
    return ARM64_IMAGE


def build(recipe: str, out: Path, *extra: str):
    args = ["build", recipe, *TARGET, "--recipes", str(REPO / "recipes"), "-o", str(out), "--json"]
    return CliRunner().invoke(app, [*args, *extra])


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return sorted(archive.namelist())


def test_the_engine_really_runs_arm64_containers(docker_client: docker.DockerClient, arm64_image: str):
    assert can_run_platform(docker_client, arm64_image, "linux/arm64") is True


def test_numpy_for_arm64_is_built_and_smoke_tested_in_an_arm64_container(arm64_image: str, tmp_path: Path):
    result = build("numpy", tmp_path, "--backend", "docker", "--base-image", arm64_image)
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "numpy" / "python3.13-arm64" / "manifest.json").read_text())
    smoke = manifest["verification"]["smoke"]
    assert smoke["status"] == "passed", smoke
    assert smoke["method"] == "container"
    assert "linux/arm64 build container" in smoke["interpreter"]
    assert manifest["bytecode"]["reason"] == "compiled by Python 3.13 (aarch64)"
    assert manifest["verification"]["elf"]["machine"] == "aarch64"


@pytest.mark.slow
def test_scipy_stack_for_arm64_in_docker_matches_the_local_build_file_for_file(
    arm64_image: str,
    tmp_path: Path,
    debian_python: Callable[[str, str], str],
    local_layer: Callable[..., Path],
):
    result = build("scipy-stack", tmp_path, "--backend", "docker", "--base-image", arm64_image)
    assert result.exit_code == 0, result.output
    in_docker = tmp_path / "scipy-stack" / "python3.13-arm64"
    on_host = local_layer("scipy-stack", "python3.13", "arm64", "--python", debian_python("3.13", "arm64"))
    docker_manifest = json.loads((in_docker / "manifest.json").read_text())
    local_manifest = json.loads((on_host / "manifest.json").read_text())
    assert docker_manifest["verification"]["smoke"]["status"] == "passed"
    assert docker_manifest["verification"]["smoke"]["method"] == "container"
    assert local_manifest["verification"]["smoke"]["method"] == "emulated"
    assert docker_manifest["packages"] == local_manifest["packages"]
    assert names(in_docker / "layer.zip") == names(on_host / "layer.zip")
