"""Whole builds of a small local wheel: what the code reads survives, optional modules only warn.

Real pip (from a local folder, no index), real gcc-built shared libraries, the real interpreter.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from support.wheels import write_wheel
from typer.testing import CliRunner

from builder import files
from builder.build import lock
from builder.cli import app
from builder.interpreters.locate import find
from builder.recipe import parse_recipe
from builder.runtimes import get_target

runner = CliRunner()
HAVE_312 = find("3.12", machine="x86_64", override=None).found is not None
pytestmark = pytest.mark.skipif(not HAVE_312, reason="needs a Python 3.12 to run the smoke test")
TARGET = get_target("python3.12", "x86_64")

INIT = """
import os, pathlib
HERE = os.path.dirname(__file__)
# A lazy loader that parses its own stub at import, and a tests module imported at import.
STUB = pathlib.Path(__file__).with_suffix(".pyi").read_text()
from lazypkg.tests import runner

def describe():
    with open(os.path.join(HERE, "data", "descr.rst")) as handle:
        return handle.read()

def build_helper():
    # Like f2py: C sources shipped for compiling user code, found by name.
    return os.path.join(HERE, "src", "helper.c")
"""
RECIPE = """
[layer]
requirements = ["lazypkg"]
runtimes = ["python3.12"]
architectures = ["x86_64"]
{extra}
[smoke]
imports = ["lazypkg"]
script = "import lazypkg\\nassert 'def f' in lazypkg.STUB\\n"
"""


def _cc(out: Path, source: str, *flags: str) -> Path:
    src = out.with_suffix(".c")
    src.write_text(source)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(src), *flags], check=True)
    return out


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lazywheel")
    libs = root / "libs"
    libs.mkdir()
    dep = _cc(libs / "libdep.so", "int dep(void) { return 7; }\n", "-Wl,-soname,libdep.so")
    absent = _cc(libs / "libnotthere.so.7", "int gone(void) { return 1; }\n", "-Wl,-soname,libnotthere.so.7")
    core = _cc(
        libs / "_core.so",
        "int dep(void);\nint core(void) { return dep(); }\n",
        str(dep),
        "-Wl,-rpath,$ORIGIN/../lazypkg.libs",
    )
    optional = _cc(libs / "_omp.so", "int gone(void);\nint pool(void) { return gone(); }\n", str(absent))
    wheels = root / "wheels"
    wheels.mkdir()
    write_wheel(
        wheels,
        "lazypkg",
        "1.0",
        {
            "lazypkg/__init__.py": INIT.encode(),
            "lazypkg/__init__.pyi": b"def f() -> int: ...\n",
            "lazypkg/tests/__init__.py": b"",
            "lazypkg/tests/runner.py": b"RUN = True\n",
            "lazypkg/tests/test_lazy.py": b"def test(): pass\n",
            "lazypkg/data/descr.rst": b"The lazy dataset.\n",
            "lazypkg/NOTES.md": b"Release notes nobody reads at run time.\n",
            "lazypkg/src/helper.c": b"int helper(void) { return 1; }\n",
            "lazypkg/src/unused.c": b"int unused(void) { return 0; }\n",
            "lazypkg/_core.so": core.read_bytes(),
            "lazypkg/_omp.so": optional.read_bytes(),  # optional: libnotthere.so.7 ships nowhere
            "lazypkg.libs/libdep.so": dep.read_bytes(),
        },
        purelib=False,
    )
    return wheels


def _recipe(tmp_path: Path, wheels: Path, extra: str = "") -> Path:
    folder = tmp_path / "recipes"
    folder.mkdir()
    path = folder / "lazy.toml"
    path.write_text(RECIPE.format(extra=extra))
    recipe = parse_recipe(path)
    wheel = next(wheels.glob("*.whl"))
    package = lock.LockedPackage(
        name="lazypkg",
        version="1.0",
        sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(),
        filename=wheel.name,
        requested=True,
    )
    locked = lock.Lock(
        target_key=TARGET.key, recipe_fingerprint=recipe.lock_fingerprint(), packages=(package,)
    )
    files.write_text_atomic(
        recipe.lock_path(TARGET.key), lock.render(locked, recipe_name="lazy", target=TARGET)
    )
    return folder


def _build(recipes: Path, out: Path, wheels: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    args = [
        "build",
        "lazy",
        "--recipes",
        str(recipes),
        "-o",
        str(out),
        "-r",
        "python3.12",
        "-a",
        "x86_64",
        "--json",
    ]
    return runner.invoke(app, args)


def test_what_the_package_reads_is_kept_and_an_optional_module_only_warns(
    wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    result = _build(_recipe(tmp_path, wheel_dir), tmp_path / "out", wheel_dir, monkeypatch)
    assert result.exit_code == 0, result.output
    layer = tmp_path / "out" / "lazy" / "python3.12-x86_64"
    manifest = json.loads((layer / "manifest.json").read_text())
    kept = {k["path"]: (k["rule"], k["reason"]) for k in manifest["minimize"]["kept"]}
    assert kept["lazypkg/__init__.pyi"] == ("type-stubs", "used by the smoke test")
    assert kept["lazypkg/tests/__init__.py"] == ("tests", "used by the smoke test")
    assert kept["lazypkg/tests/runner.py"] == ("tests", "used by the smoke test")
    assert kept["lazypkg/src/helper.c"] == ("sources", "named in lazypkg/__init__.py")
    with zipfile.ZipFile(layer / "layer.zip") as archive:
        names = set(archive.namelist())
    assert {
        "python/lazypkg/__init__.pyi",
        "python/lazypkg/tests/runner.py",
        "python/lazypkg/src/helper.c",
        "python/lazypkg/data/descr.rst",  # documentation is never removed
        "python/lazypkg/NOTES.md",
    } <= names
    assert "python/lazypkg/tests/test_lazy.py" not in names and "python/lazypkg/src/unused.c" not in names
    warnings = manifest["verification"]["elf"]["warnings"]
    assert [w["path"] for w in warnings] == ["python/lazypkg/_omp.so"]
    assert (
        "libnotthere.so.7" in warnings[0]["detail"] and "the same in a plain install" in warnings[0]["detail"]
    )
    assert "python/lazypkg/_omp.so" in names, "the optional module is kept"


def test_a_library_the_full_install_has_and_minimizing_removed_is_still_an_error(
    wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    recipes = _recipe(tmp_path, wheel_dir, extra='[minimize]\nremove = ["lazypkg.libs/*"]\n')
    result = _build(recipes, tmp_path / "out", wheel_dir, monkeypatch)
    assert result.exit_code == 7, result.output
    assert "python/lazypkg/_core.so: needs libdep.so" in result.output
    assert "_omp.so" not in result.output.split("ELF problem", 1)[1], "the optional module is no error"
    assert not (tmp_path / "out" / "lazy" / "python3.12-x86_64").exists()


def test_a_removed_file_the_smoke_test_still_reads_fails_the_build_even_when_caught(
    wheel_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # The recipe's own rule removes the description; the script swallows the FileNotFoundError.
    extra = '[minimize]\nremove = ["lazypkg/data/descr.rst"]\n'
    recipes = _recipe(tmp_path, wheel_dir, extra=extra)
    text = (recipes / "lazy.toml").read_text()
    script = "import lazypkg\\ntry:\\n    lazypkg.describe()\\nexcept FileNotFoundError:\\n    pass\\n"
    (recipes / "lazy.toml").write_text(
        text.replace('script = "import lazypkg', f'script = "{script}import lazypkg')
    )
    result = _build(recipes, tmp_path / "out", wheel_dir, monkeypatch)
    assert result.exit_code == 7, result.output
    assert "minimize: rule 'recipe' removed lazypkg/data/descr.rst" in result.output
    assert "read files that are no longer there" in result.output
