"""Every runtime x architecture the shipped recipes list is verified by running its smoke test.

How each one runs on an x86_64 machine like CI's:

- python3.12 / python3.13 x86_64: native interpreters (pyenv, PATH or uv), else (3.13) Debian trixie's
  through its own loader.
- python3.14 x86_64: Debian forky's python3.14 through its own loader (the host glibc is older),
  set up the way a user would: an environment variable naming the wrapper.
- python3.13 arm64: Debian trixie's aarch64 python3.13 under qemu-user, given as `--python WRAPPER`.
- python3.14 arm64: Debian forky's aarch64 python3.14 under qemu-user, named in the config file.
- python3.12 arm64: no interpreter anywhere here: no Debian suite ships Python 3.12 (bookworm has
  3.11, trixie 3.13, forky 3.14) and pyenv's is x86_64. The layer is built and says "not run", why,
  and how to provide one.
"""

from __future__ import annotations

import json
import platform
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from support.paths import REPO
from typer.testing import CliRunner

from builder.cli import app
from builder.interpreters.locate import find
from builder.recipe import parse_recipe

pytestmark = pytest.mark.network
SHIPPED = sorted(path.stem for path in (REPO / "recipes").glob("*.toml"))

# (runtime, arch) -> how the smoke test runs here: native, debian-native, --python, env, config, none
HOW = {
    ("python3.12", "x86_64"): "native",
    ("python3.13", "x86_64"): "native",
    ("python3.14", "x86_64"): "env",
    ("python3.12", "arm64"): "none",
    ("python3.13", "arm64"): "--python",
    ("python3.14", "arm64"): "config",
}
DEBIAN_VERSIONS = ("3.11", "3.13", "3.14")


def shipped_targets() -> set[tuple[str, str]]:
    targets = set()
    for name in SHIPPED:
        recipe = parse_recipe(REPO / "recipes" / f"{name}.toml")
        targets |= {(r, a) for r in recipe.runtimes for a in recipe.architectures}
    return targets


def test_every_shipped_target_has_a_way_to_be_verified():
    assert platform.machine() == "x86_64", "the table of how each target runs assumes an x86_64 host"
    assert shipped_targets() == set(HOW)


def manifest_of(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "manifest.json").read_text())


def magic_of(command: list[str]) -> str:
    """The bytecode magic number of an interpreter, asked by running it."""
    done = subprocess.run(
        [*command, "-c", "import importlib.util; print(importlib.util.MAGIC_NUMBER.hex())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip()


def pyc_magics(zip_path: Path) -> set[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return {archive.read(n)[:4].hex() for n in archive.namelist() if n.endswith(".pyc")}


def native_or_debian(version: str, debian_python: Callable[[str, str], str]) -> tuple[list[str], list[str]]:
    """The native interpreter the build finds by itself (no flag), else Debian's, named with --python."""
    found = find(version, machine="x86_64", override=None).found
    if found is not None and found.method == "native":
        return list(found.command), []
    if version in DEBIAN_VERSIONS:
        wrapper = debian_python(version, "x86_64")
        return [wrapper], ["--python", wrapper]
    pytest.skip(f"no Python {version} for x86_64 on this machine, and no Debian suite ships it")


@pytest.mark.parametrize(("runtime", "arch"), sorted(HOW), ids=lambda v: str(v))
def test_the_numpy_layer_is_verified_on_every_target(
    runtime: str,
    arch: str,
    debian_python: Callable[[str, str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    version = runtime.removeprefix("python")
    how = HOW[runtime, arch]
    extra: list[str] = []
    command: list[str] | None = None
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no config but the test's own
    if how == "native":
        command, extra = native_or_debian(version, debian_python)
    elif how == "env":
        command = [debian_python(version, arch)]
        monkeypatch.setenv(f"LAYER_BUILDER_PYTHON_{version.replace('.', '_')}_{arch.upper()}", command[0])
    elif how == "--python":
        command = [debian_python(version, arch)]
        extra = ["--python", command[0]]
    elif how == "config":
        command = [debian_python(version, arch)]
        config = tmp_path / "config" / "layer-builder" / "interpreters.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f'[python{version}]\n{arch} = ["{command[0]}"]\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["build", "numpy", "-r", runtime, "-a", arch, "--recipes", str(REPO / "recipes"), "-o", str(out),
         "--json", *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    layer = out / "numpy" / f"{runtime}-{arch}"
    manifest = manifest_of(layer)
    smoke, compiled = manifest["verification"]["smoke"], manifest["bytecode"]
    tag = "cpython-" + version.replace(".", "")
    with zipfile.ZipFile(layer / "layer.zip") as archive:
        pycs = [n for n in archive.namelist() if n.endswith(".pyc")]
    if how == "none":
        assert smoke["status"] == "not run"
        assert f"no Python {version} for aarch64 found" in smoke["reason"]
        assert "LAYER_BUILDER_PYTHON_3_12_ARM64" in smoke["reason"]
        # Bytecode needs only the version: compiled where an x86_64 Python 3.12 exists.
        if find(version, machine=None, override=None).found is None:
            assert compiled["status"] == "skipped" and not pycs, compiled
            assert f"no Python {version} found" in compiled["reason"]
            return
    assert compiled["status"] == "compiled", compiled
    assert pycs and all(tag in n for n in pycs), "bytecode of the target version only"
    if how == "none":
        return
    assert command is not None
    assert smoke["status"] == "passed", smoke
    assert smoke["method"] == ("emulated" if arch == "arm64" else "native")
    assert smoke["interpreter"] == command[0]
    assert compiled["interpreter"] == command[0] or arch == "arm64", "bytecode may come from a native one"
    assert pyc_magics(layer / "layer.zip") == {magic_of(command)}


def test_a_python_of_another_version_is_refused_naming_what_it_answered(
    debian_python: Callable[[str, str], str], tmp_path: Path
):
    wrapper = debian_python("3.13", "arm64")
    result = CliRunner().invoke(
        app,
        ["build", "numpy", "-r", "python3.14", "-a", "arm64", "--recipes", str(REPO / "recipes"),
         "-o", str(tmp_path), "--python", wrapper],
    )  # fmt: skip
    text = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2, result.output
    assert f"--python {wrapper} is not a working Python 3.14 interpreter" in text
    assert "Python 3.13 for aarch64" in text


@pytest.mark.slow
@pytest.mark.parametrize(("runtime", "arch"), [("python3.13", "arm64"), ("python3.14", "x86_64")])
def test_scipy_stack_with_a_wrapper_around_a_debian_python(
    runtime: str, arch: str, debian_python: Callable[[str, str], str], local_layer: Callable[..., Path]
):
    version = runtime.removeprefix("python")
    wrapper = debian_python(version, arch)
    layer = local_layer("scipy-stack", runtime, arch, "--python", wrapper)
    manifest = manifest_of(layer)
    assert manifest["bytecode"]["status"] == "compiled"
    assert manifest["bytecode"]["interpreter"] == wrapper
    assert (
        manifest["bytecode"]["reason"]
        == f"compiled by Python {version} ({'aarch64' if arch == 'arm64' else arch})"
    )
    assert pyc_magics(layer / "layer.zip") == {magic_of([wrapper])}
    smoke = manifest["verification"]["smoke"]
    assert smoke["status"] == "passed", smoke
    assert smoke["interpreter"] == wrapper
    assert smoke["method"] == ("emulated" if arch == "arm64" else "native")
