"""The README's main job: scipy-stack for python3.12 and python3.11 on x86_64, with this machine's
interpreters, minimized without breaking a single module that the full install can import."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builder.build import pipcmd
from builder.build.importcheck import broken_by_minimizing
from builder.cli import app
from builder.interpreters.locate import find
from builder.runtimes import get_target

pytestmark = [pytest.mark.network, pytest.mark.slow]
TARGETS = ("python3.12", "python3.11")


@pytest.fixture(scope="module")
def stack(recipes_copy: Path, layers_out: Path) -> Path:
    args = [
        "build",
        "scipy-stack",
        "-a",
        "x86_64",
        "--recipes",
        str(recipes_copy),
        "-o",
        str(layers_out),
        "--json",
    ]
    for runtime in TARGETS:
        args += ["-r", runtime]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return layers_out / "scipy-stack"


@pytest.mark.parametrize("runtime", TARGETS)
def test_layer_passes_its_smoke_test_with_the_target_interpreter(stack: Path, runtime: str):
    manifest = json.loads((stack / f"{runtime}-x86_64" / "manifest.json").read_text())
    version = runtime.removeprefix("python")
    if find(version, machine="x86_64", override=None).found is None:
        pytest.fail(f"this machine should have Python {version} to verify the layer")
    assert manifest["verification"]["smoke"]["status"] == "passed"
    assert manifest["bytecode"]["status"] == "compiled"
    assert manifest["verification"]["elf"]["status"] == "passed"
    # Lambda's limit minus the recipe's 50 MB of headroom, with room to spare after minimizing.
    assert manifest["size"]["unzipped_bytes"] < 200_000_000
    tag = "cpython-" + version.replace(".", "")
    with zipfile.ZipFile(stack / f"{runtime}-x86_64" / "layer.zip") as archive:
        names = archive.namelist()
    assert not [n for n in names if "__pycache__" in n and tag not in n], "only target bytecode ships"


def test_python311_layer_keeps_numpys_natype_for_scipy_stats(stack: Path):
    manifest = json.loads((stack / "python3.11-x86_64" / "manifest.json").read_text())
    assert manifest["packages"]["numpy"] == "2.2.6"
    with zipfile.ZipFile(stack / "python3.11-x86_64" / "layer.zip") as archive:
        assert any(n.startswith("python/numpy/_core/tests/_natype") for n in archive.namelist())


def test_no_module_of_the_full_install_is_broken_by_minimizing(
    stack: Path, recipes_copy: Path, tmp_path: Path
):
    python = find("3.12", machine="x86_64", override=None).found
    if python is None:
        pytest.fail("this machine should have Python 3.12")
    full = tmp_path / "full"
    lock_path = recipes_copy / "locks" / "scipy-stack" / "python3.12-x86_64.txt"
    subprocess.run(
        [*pipcmd.pip(), "install", "-q", "--no-deps", "--require-hashes", "--no-compile", "--target", str(full),
         *pipcmd.for_target(get_target("python3.12", "x86_64")), "-r", str(lock_path)],
        check=True,
    )  # fmt: skip
    layer = tmp_path / "layer"
    with zipfile.ZipFile(stack / "python3.12-x86_64" / "layer.zip") as archive:
        archive.extractall(layer)
    assert len(python.command) == 1, "a native interpreter found by discovery is one executable"
    broken = broken_by_minimizing(python.command[0], layer / "python", full)
    assert broken == {}, f"modules broken by minimizing: {broken}"
