"""Fitting by default, failing fast, and the import sweep, through the real CLI.

- NumPy (the shipped lock, real pip) with headroom_mb = 217 leaves 45.1 MB: the layer is 47.0 MB
  with its .py sources and 43.3 MB without, so `auto` (the default) fits it only sourceless.
- With headroom_mb = 240 (22.1 MB allowed) even the smallest NumPy layer is over: the build stops
  at the fit step, before bytecode, with the levers in numbers.
- A small local wheel whose subpackage reads, at import, a file the `sources` rule matches; the
  smoke test imports only the top-level package, so only the import sweep sees the read. The
  wheel is served through the recipe's own find_links (lock and build), with no index at all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from support.paths import REPO
from support.wheels import write_wheel
from typer.testing import CliRunner

from builder.cli import app
from builder.interpreters.locate import find

runner = CliRunner()
HAVE_312 = find("3.12", machine="x86_64", override=None).found is not None
pytestmark = pytest.mark.skipif(not HAVE_312, reason="needs a Python 3.12 for bytecode and the smoke test")
TARGET = ["-r", "python3.12", "-a", "x86_64"]


def _numpy_recipes(tmp_path: Path, headroom_mb: int) -> Path:
    folder = tmp_path / "recipes"
    (folder / "locks").mkdir(parents=True)
    shutil.copytree(REPO / "recipes" / "locks" / "numpy", folder / "locks" / "numpy")
    text = (REPO / "recipes" / "numpy.toml").read_text()
    text = text.replace("headroom_mb = 50", f"headroom_mb = {headroom_mb}")
    text = text.replace('[build]\nbytecode = "pyc"\n', "")  # the default: auto
    assert "bytecode" not in text
    (folder / "numpy.toml").write_text(text)
    return folder


@pytest.mark.network
@pytest.mark.slow
def test_a_layer_that_fits_only_sourceless_builds_with_the_defaults(tmp_path: Path):
    recipes = _numpy_recipes(tmp_path, headroom_mb=217)
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", "numpy", "--recipes", str(recipes), "-o", str(out), *TARGET])
    assert result.exit_code == 0, result.output
    layer = out / "numpy" / "python3.12-x86_64"
    manifest = json.loads((layer / "manifest.json").read_text())
    bytecode = manifest["bytecode"]
    assert bytecode["mode"] == "auto"
    assert [p["name"] for p in bytecode["sourceless"]] == ["numpy"]
    assert bytecode["sourceless"][0]["source_bytes"] > 1_000_000
    assert "over the" in bytecode["sourceless"][0]["reason"]
    assert manifest["size"]["unzipped_bytes"] <= 262_144_000 - 217_000_000
    with zipfile.ZipFile(layer / "layer.zip") as archive:
        names = set(archive.namelist())
    assert "python/numpy/__init__.pyc" in names and "python/numpy/__init__.py" not in names
    assert manifest["verification"]["smoke"]["status"] == "passed"


@pytest.mark.network
@pytest.mark.slow
def test_a_layer_over_the_limit_even_at_its_smallest_stops_before_bytecode(tmp_path: Path):
    recipes = _numpy_recipes(tmp_path, headroom_mb=240)
    out = tmp_path / "out"
    args = ["build", "numpy", "--recipes", str(recipes), "-o", str(out), *TARGET, "--explain"]
    result = runner.invoke(app, args)
    assert result.exit_code == 6, result.output
    assert "fit: the layer is at its smallest" in result.output
    steps_run = [line.split("✓ ", 1)[1].split()[0] for line in result.output.splitlines() if "✓ " in line]
    assert steps_run == ["lock", "install"], steps_run  # stopped at the first fit step
    assert "✗ fit" in result.output
    assert "largest packages" in result.output and "numpy" in result.output
    assert "headroom_mb = 2" in result.output  # the headroom with which it would fit (about 220)
    assert "split the recipe" not in result.output
    assert "Minimize plan for numpy" in result.output, "--explain prints the plan of a failed build"
    assert not (out / "numpy" / "python3.12-x86_64").exists()


# ---------------------------------------------------------------- the import sweep

SUB_INIT = """
import os
HERE = os.path.dirname(__file__)
# Read when the subpackage is first imported, by a name built at run time (no code names it).
with open(os.path.join(HERE, "tables", "layout" + "." + "h")) as handle:
    LAYOUT = handle.read()
"""
RECIPE = """
[layer]
requirements = ["sweeppkg"]
runtimes = ["python3.12"]
architectures = ["x86_64"]
find_links = ["wheels"]

[smoke]
imports = ["sweeppkg"]
"""


def test_the_import_sweep_keeps_a_file_a_subpackage_reads_at_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    recipes = tmp_path / "recipes"
    wheels = recipes / "wheels"
    wheels.mkdir(parents=True)
    write_wheel(
        wheels,
        "sweeppkg",
        "1.0",
        {
            "sweeppkg/__init__.py": b"VERSION = '1.0'\n",
            "sweeppkg/sub/__init__.py": SUB_INIT.encode(),
            "sweeppkg/sub/tables/layout.h": b"struct layout { int x; };\n",
            "sweeppkg/src/unused.h": b"int unused(void);\n",
        },
    )
    (recipes / "sweep.toml").write_text(RECIPE)
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # only the recipe's find_links: no index, no network
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    locked = runner.invoke(app, ["lock", "sweep", "--recipes", str(recipes), *TARGET])
    assert locked.exit_code == 0, locked.output
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", "sweep", "--recipes", str(recipes), "-o", str(out), *TARGET])
    assert result.exit_code == 0, result.output
    layer = out / "sweep" / "python3.12-x86_64"
    manifest = json.loads((layer / "manifest.json").read_text())
    kept = {k["path"]: (k["rule"], k["reason"]) for k in manifest["minimize"]["kept"]}
    assert kept["sweeppkg/sub/tables/layout.h"] == ("sources", "used by importing sweeppkg.sub")
    assert manifest["indexes"]["find_links"] == [str(wheels.resolve())]
    with zipfile.ZipFile(layer / "layer.zip") as archive:
        names = set(archive.namelist())
        assert "python/sweeppkg/sub/tables/layout.h" in names
        assert "python/sweeppkg/src/unused.h" not in names, "what nothing reads still goes"
        archive.extractall(tmp_path / "unzipped")
    python = find("3.12", machine="x86_64", override=None).found
    assert python is not None
    done = subprocess.run(
        [
            *python.command,
            "-I",
            "-S",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import sweeppkg.sub",
            str(tmp_path / "unzipped" / "python"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
