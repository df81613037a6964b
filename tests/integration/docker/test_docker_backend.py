"""The docker backend end to end against the real engine, with the stand-in base image.

The stand-in is Debian bookworm with Python 3.11, so the python3.11 targets are built in it;
a real user gets the runtime's Amazon Linux build image.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import docker
import pytest
from support.paths import REPO
from typer.testing import CliRunner

from builder.cli import app

pytestmark = [pytest.mark.docker, pytest.mark.network]
runner = CliRunner()
TARGET = ["-r", "python3.11", "-a", "x86_64"]


@pytest.fixture(scope="module")
def recipes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("recipes") / "recipes"
    shutil.copytree(REPO / "recipes", folder)
    (folder / "docopt-cli.toml").write_text(SDIST_RECIPE)
    return folder


# docopt 0.6.2 is published as an sdist only: no wheel exists for any platform.
SDIST_RECIPE = """
[layer]
description = "an sdist-only dependency"
requirements = ["docopt==0.6.2"]
runtimes = ["python3.11"]
architectures = ["x86_64"]

[smoke]
imports = ["docopt"]
script = '''
from docopt import docopt
assert docopt("Usage: prog <name>", argv=["world"]) == {"<name>": "world"}
'''
"""


def cli(*args: str):
    return runner.invoke(app, list(args))


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return sorted(archive.namelist())


def containers_left(client: docker.DockerClient) -> list[str]:
    return [c.name for c in client.containers.list(all=True) if c.name.startswith("layer-builder-")]


@pytest.mark.parametrize("recipe", ["numpy", pytest.param("scipy-stack", marks=pytest.mark.slow)])
def test_docker_layer_matches_the_local_layer_file_for_file(
    recipe: str, recipes: Path, standin_image: str, docker_client: docker.DockerClient, tmp_path: Path
):
    docker_out, local_out = tmp_path / "docker", tmp_path / "local"
    built = cli("build", recipe, *TARGET, "--backend", "docker", "--base-image", standin_image,
                "--recipes", str(recipes), "-o", str(docker_out), "--json")  # fmt: skip
    assert built.exit_code == 0, built.output
    local = cli("build", recipe, *TARGET, "--recipes", str(recipes), "-o", str(local_out), "--json")
    assert local.exit_code == 0, local.output

    in_docker = json.loads((docker_out / recipe / "python3.11-x86_64" / "manifest.json").read_text())
    on_host = json.loads((local_out / recipe / "python3.11-x86_64" / "manifest.json").read_text())
    assert in_docker["backend"] == "docker" and on_host["backend"] == "local"
    assert in_docker["packages"] == on_host["packages"]
    assert in_docker["verification"]["smoke"]["status"] == "passed"
    assert "build container" in in_docker["verification"]["smoke"]["interpreter"]
    assert "build container" in in_docker["bytecode"]["interpreter"]
    assert names(docker_out / recipe / "python3.11-x86_64" / "layer.zip") == names(
        local_out / recipe / "python3.11-x86_64" / "layer.zip"
    )
    # Files the container wrote into the scratch folder belonged to us, so nothing is left behind,
    # not even the empty scratch root.
    assert not (docker_out / ".work").exists()
    assert containers_left(docker_client) == []


def test_sdist_only_dependency_is_locked_and_built_in_the_container_and_refused_locally(
    recipes: Path, standin_image: str, tmp_path: Path
):
    local_lock = cli("lock", "docopt-cli", "--recipes", str(recipes))
    assert local_lock.exit_code == 4
    assert "no wheel of docopt==0.6.2 loads on python3.11-x86_64" in local_lock.output

    locked = cli(
        "lock", "docopt-cli", "--backend", "docker", "--base-image", standin_image, "--recipes", str(recipes)
    )
    assert locked.exit_code == 0, locked.output
    lock_text = (recipes / "locks" / "docopt-cli" / "python3.11-x86_64.txt").read_text()
    assert "docopt==0.6.2" in lock_text and "# file: docopt-0.6.2.tar.gz" in lock_text

    built = cli("build", "docopt-cli", "--backend", "docker", "--base-image", standin_image,
                "--recipes", str(recipes), "-o", str(tmp_path / "out"), "--json")  # fmt: skip
    assert built.exit_code == 0, built.output
    manifest = json.loads(built.stdout)["layers"][0]["manifest"]
    assert manifest["verification"]["smoke"]["status"] == "passed"
    assert "python/docopt.py" in names(tmp_path / "out" / "docopt-cli" / "python3.11-x86_64" / "layer.zip")

    refused = cli("build", "docopt-cli", "--recipes", str(recipes), "-o", str(tmp_path / "local"))
    assert refused.exit_code == 5
    assert "docopt==0.6.2 (docopt-0.6.2.tar.gz): no wheel for python3.11-x86_64" in refused.output
    assert "--backend docker" in refused.output
    assert not (tmp_path / "local" / "docopt-cli").exists()


def test_missing_base_image_is_reported_without_output(
    recipes: Path, docker_client: docker.DockerClient, tmp_path: Path
):
    result = cli("build", "numpy", *TARGET, "--backend", "docker", "--base-image", "no-such-image:never",
                 "--recipes", str(recipes), "-o", str(tmp_path / "out"))  # fmt: skip
    assert result.exit_code == 8, result.output
    assert "no-such-image:never" in result.output
    assert not (tmp_path / "out" / "numpy").exists()
    assert containers_left(docker_client) == []


def test_stopped_engine_is_reported_with_the_fix(
    recipes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nobody-listens.sock")
    result = cli(
        "build",
        "numpy",
        *TARGET,
        "--backend",
        "docker",
        "--recipes",
        str(recipes),
        "-o",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 8, result.output
    assert "docker_engine.sh up" in result.output or "start the Docker daemon" in result.output
    assert not (tmp_path / "out" / "numpy").exists()


def test_failing_install_in_the_container_names_the_step_and_keeps_the_good_layer(
    recipes: Path, standin_image: str, docker_client: docker.DockerClient, tmp_path: Path
):
    broken = tmp_path / "recipes"
    shutil.copytree(recipes, broken)
    lock_path = broken / "locks" / "numpy" / "python3.11-x86_64.txt"
    text = lock_path.read_text()
    digest = text.split("--hash=sha256:")[1][:64]
    lock_path.write_text(text.replace(digest, "0" * 64))  # the index will not serve this hash
    out = tmp_path / "out"
    (out / "numpy" / "python3.11-x86_64").mkdir(parents=True)
    (out / "numpy" / "python3.11-x86_64" / "layer.zip").write_bytes(b"the previous good layer")
    result = cli("build", "numpy", *TARGET, "--backend", "docker", "--base-image", standin_image,
                 "--recipes", str(broken), "-o", str(out))  # fmt: skip
    assert result.exit_code == 8, result.output
    assert "install:" in result.output and "in the container" in result.output
    assert "HASH" in result.output.upper()
    assert (out / "numpy" / "python3.11-x86_64" / "layer.zip").read_bytes() == b"the previous good layer"
    assert containers_left(docker_client) == []


def test_arm64_without_an_arm64_image_or_emulation_says_what_to_do(
    recipes: Path, standin_image: str, docker_client: docker.DockerClient, tmp_path: Path
):
    # The stand-in exists for linux/amd64 only and no registry is reachable to pull an arm64 one.
    result = cli("build", "numpy", "-r", "python3.11", "-a", "arm64", "--backend", "docker",
                 "--base-image", standin_image, "--recipes", str(recipes), "-o", str(tmp_path / "out"))  # fmt: skip
    assert result.exit_code == 8, result.output
    assert "linux/arm64" in result.output
    assert not (tmp_path / "out" / "numpy").exists()
    assert containers_left(docker_client) == []
