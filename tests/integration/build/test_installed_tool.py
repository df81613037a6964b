"""layer-builder as a user gets it: `pip install` (not editable) into a fresh venv, run outside the clone."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from support.paths import REPO

from builder.interpreters.locate import find

pytestmark = [pytest.mark.network, pytest.mark.slow]
HAVE_312 = find("3.12", machine="x86_64", override=None).found is not None
# Left out of the copy, at the top level only (builder/build is code).
SKIP = {".git", ".venv", "layers", "build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer-builder executable of a venv the working tree was pip-installed into."""
    root = tmp_path_factory.mktemp("installed")
    source = root / "source"  # a copy, so the build leaves nothing in the clone
    top = str(REPO)
    shutil.copytree(
        REPO,
        source,
        symlinks=True,
        ignore=lambda folder, names: [n for n in names if folder == top and n in SKIP],
    )
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "-U", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", str(source)], check=True)
    shutil.rmtree(source)  # nothing may still come from the source tree
    return env_dir / "bin" / "layer-builder"


def run(tool: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tool), *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_installed_tool_lists_the_shipped_recipes_from_any_folder(installed: Path, tmp_path: Path):
    result = run(installed, tmp_path, "recipes", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = {r["name"]: r for r in json.loads(result.stdout)}
    assert {"scipy-stack", "numpy", "scikit-learn", "pandas-arrow"} <= listed.keys()
    assert listed["scipy-stack"]["source"] == "shipped"
    assert str(REPO) not in listed["scipy-stack"]["path"]
    checked = run(installed, tmp_path, "lock", "scipy-stack", "--check", "-r", "python3.12", "-a", "x86_64")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="builds Linux layers")
def test_installed_tool_builds_a_shipped_recipe_outside_the_clone(installed: Path, tmp_path: Path):
    result = run(installed, tmp_path, "build", "numpy", "-r", "python3.12", "-a", "x86_64", "--json")
    assert result.returncode == 0, result.stderr
    layer = tmp_path / "layers" / "numpy" / "python3.12-x86_64"
    manifest = json.loads((layer / "manifest.json").read_text())
    assert manifest["recipe"] == "numpy" and (layer / "layer.zip").is_file()
    if HAVE_312:
        assert manifest["verification"]["smoke"]["status"] == "passed"
