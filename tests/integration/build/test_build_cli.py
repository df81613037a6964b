"""End-to-end builds through the real CLI (typer's runner): real pip, real interpreters, real zips."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from builder.cli import app
from builder.interpreters.locate import find
from builder.manifest import Manifest, json_schema

pytestmark = pytest.mark.network
runner = CliRunner()
HAVE_312 = find("3.12", machine="x86_64", override=None).found is not None


def build(recipes: Path, out: Path, *args: str):
    return runner.invoke(app, ["build", *args, "--recipes", str(recipes), "--output", str(out), "--json"])


def layer_dir(out: Path, recipe: str, target: str = "python3.12-x86_64") -> Path:
    return out / recipe / target


def test_numpy_layer_is_built_verified_and_described(recipes_copy: Path, layers_out: Path):
    result = build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64")
    assert result.exit_code == 0, result.output
    manifest = json.loads((layer_dir(layers_out, "numpy") / "manifest.json").read_text())
    assert (
        manifest["recipe"] == "numpy" and manifest["runtime"] == "python3.12" and manifest["arch"] == "x86_64"
    )
    assert manifest["packages"]["numpy"].startswith("2.")
    assert manifest["size"]["unzipped_bytes"] > manifest["size"]["zipped_bytes"] > 1_000_000
    with zipfile.ZipFile(layer_dir(layers_out, "numpy") / "layer.zip") as archive:
        names = archive.namelist()
    assert len(names) == manifest["size"]["file_count"]
    assert all(name.startswith("python/") for name in names)
    assert "python/numpy/__init__.py" in names
    assert not [n for n in names if "/tests/" in n and "_natype" not in n and not n.endswith("__init__.py")]
    pycs = [n for n in names if n.endswith(".pyc")]
    if HAVE_312:
        assert manifest["bytecode"]["status"] == "compiled"
        assert pycs and all("cpython-312" in n for n in pycs), "only bytecode of the target version"
        assert manifest["verification"]["smoke"]["status"] == "passed"
    else:
        assert manifest["bytecode"]["status"] == "skipped" and not pycs
    assert manifest["largest"][0]["name"] in {"numpy", "numpy.libs"}


def test_built_manifest_validates_against_the_shipped_schema(recipes_copy: Path, layers_out: Path):
    path = layer_dir(layers_out, "numpy") / "manifest.json"
    if not path.exists():
        assert build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64").exit_code == 0
    document = json.loads(path.read_text())
    jsonschema.Draft202012Validator(json_schema()).validate(document)
    typed = Manifest.from_json(document)
    assert typed.to_json() == document
    assert typed.requested == ("numpy",) and typed.target == "python3.12-x86_64"
    assert (
        sum(row.removed_bytes for row in typed.minimize.by_package.values()) == typed.minimize.removed_bytes
    )


def test_forced_rebuild_is_byte_identical_and_unchanged_rebuild_is_cached(
    recipes_copy: Path, layers_out: Path
):
    zip_path = layer_dir(layers_out, "numpy") / "layer.zip"
    if not zip_path.exists():
        assert build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64").exit_code == 0
    first = zip_path.read_bytes()
    forced = build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64", "--no-cache")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["layers"][0]["cached"] is False
    assert zip_path.read_bytes() == first
    cached = build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64")
    assert cached.exit_code == 0
    assert json.loads(cached.stdout)["layers"][0]["cached"] is True


def test_forced_rebuild_keeps_the_publish_record_of_the_same_content_only(
    recipes_copy: Path, layers_out: Path
):
    folder = layer_dir(layers_out, "numpy")
    if not (folder / "layer.zip").exists():
        assert build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64").exit_code == 0
    code_sha256 = json.loads((folder / "manifest.json").read_text())["zip"]["code_sha256"]
    record = {"format": 1, "code_sha256": code_sha256, "accounts": {"123456789012": {"us-east-1": {}}}}
    (folder / "published.json").write_text(json.dumps(record))
    same = build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64", "--no-cache")
    assert same.exit_code == 0, same.output
    assert json.loads((folder / "published.json").read_text()) == record, "same bytes: same ARNs"

    (folder / "published.json").write_text(json.dumps({**record, "code_sha256": "b3RoZXI="}))
    other = build(recipes_copy, layers_out, "numpy", "-r", "python3.12", "-a", "x86_64", "--no-cache")
    assert other.exit_code == 0, other.output
    assert not (folder / "published.json").exists(), "a record of other content is not this zip's"


def test_layer_over_the_size_limit_fails_names_the_biggest_and_writes_nothing(
    recipes_copy: Path, tmp_path: Path
):
    recipes = tmp_path / "recipes"
    shutil.copytree(recipes_copy, recipes)
    text = (recipes / "numpy.toml").read_text().replace("headroom_mb = 50", "headroom_mb = 255")
    (recipes / "numpy.toml").write_text(text)  # headroom does not stale the lock
    result = build(recipes, tmp_path / "out", "numpy", "-r", "python3.12", "-a", "x86_64")
    assert result.exit_code == 6, result.output
    # Known from the install already: the fit step stops before minimizing, with the levers.
    assert "fit: the layer is at its smallest" in result.output
    assert re.search(r"largest packages.*\n\s+numpy\s+\d", result.output), result.output
    assert (
        "headroom_mb = 219" in result.output
        and "Splitting into several layers does not help" in result.output
    )
    assert not layer_dir(tmp_path / "out", "numpy").exists()
    assert not (tmp_path / "out" / ".work").exists(), "scratch folder cleaned up"


@pytest.mark.skipif(not HAVE_312, reason="needs a Python 3.12 to run the smoke test")
def test_failed_smoke_test_keeps_the_previous_good_layer(
    recipes_copy: Path, layers_out: Path, tmp_path: Path
):
    good = layer_dir(layers_out, "numpy")
    out = tmp_path / "out"
    shutil.copytree(good, layer_dir(out, "numpy"))
    before = (layer_dir(out, "numpy") / "layer.zip").read_bytes()
    recipes = tmp_path / "recipes"
    shutil.copytree(recipes_copy, recipes)
    text = (
        (recipes / "numpy.toml")
        .read_text()
        .replace('script = """', 'script = """\nraise SystemExit("broken on purpose")')
    )
    (recipes / "numpy.toml").write_text(text)
    result = build(recipes, out, "numpy", "-r", "python3.12", "-a", "x86_64")
    assert result.exit_code == 7, result.output
    assert "the smoke test failed for python3.12-x86_64" in result.output
    assert (layer_dir(out, "numpy") / "layer.zip").read_bytes() == before
    assert sorted(p.name for p in (out / "numpy").iterdir()) == ["python3.12-x86_64"]


@pytest.mark.skipif(not HAVE_312, reason="needs a Python 3.12 to run the smoke test")
def test_rule_that_removes_what_the_smoke_test_needs_is_named(recipes_copy: Path, tmp_path: Path):
    recipes = tmp_path / "recipes"
    shutil.copytree(recipes_copy, recipes)
    text = (
        (recipes / "numpy.toml")
        .read_text()
        .replace("[smoke]", '[minimize]\nremove = ["numpy/fft/_pocketfft.py"]\n\n[smoke]')
    )
    (recipes / "numpy.toml").write_text(text)
    result = build(recipes, tmp_path / "out", "numpy", "-r", "python3.12", "-a", "x86_64")
    assert result.exit_code == 7, result.output
    assert "minimize: rule 'recipe' removed numpy/fft/_pocketfft.py" in result.output
    assert 'keep = ["numpy/fft/_pocketfft.py"]' in result.output


def test_without_a_target_interpreter_bytecode_and_smoke_are_skipped_and_say_why(
    recipes_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Nowhere to find a Python 3.12: no PATH entries with one, an empty pyenv root, no uv.
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    result = build(recipes_copy, tmp_path / "out", "numpy", "-r", "python3.12", "-a", "x86_64")
    assert result.exit_code == 0, result.output
    manifest = json.loads((layer_dir(tmp_path / "out", "numpy") / "manifest.json").read_text())
    if sys.version_info[:2] != (3, 12):
        assert manifest["bytecode"]["status"] == "skipped"
        assert "no Python 3.12 found" in manifest["bytecode"]["reason"]
        assert manifest["verification"]["smoke"]["status"] == "not run"
        assert "smoke test not run" in result.output
        with zipfile.ZipFile(layer_dir(tmp_path / "out", "numpy") / "layer.zip") as archive:
            assert not [n for n in archive.namelist() if n.endswith(".pyc")]


def test_missing_lock_is_refused_with_the_command_that_creates_it(recipes_copy: Path, tmp_path: Path):
    recipes = tmp_path / "recipes"
    shutil.copytree(recipes_copy, recipes)
    shutil.rmtree(recipes / "locks" / "numpy")
    result = build(recipes, tmp_path / "out", "numpy", "-r", "python3.12", "-a", "x86_64")
    assert result.exit_code == 4
    assert "layer-builder lock numpy --runtime python3.12 --arch x86_64" in result.output
    assert not (tmp_path / "out" / "numpy").exists()


def test_stale_lock_is_refused(recipes_copy: Path, tmp_path: Path):
    recipes = tmp_path / "recipes"
    shutil.copytree(recipes_copy, recipes)
    text = (
        (recipes / "numpy.toml").read_text().replace('requirements = ["numpy"]', 'requirements = ["numpy<3"]')
    )
    (recipes / "numpy.toml").write_text(text)
    result = build(recipes, tmp_path / "out", "numpy", "-r", "python3.12", "-a", "x86_64")
    assert result.exit_code == 4
    assert "older than the recipe" in result.output


def test_unknown_runtime_is_a_usage_error(recipes_copy: Path, tmp_path: Path):
    result = build(recipes_copy, tmp_path / "out", "numpy", "-r", "pyhton3.12")
    assert result.exit_code == 2
    assert "did you mean 'python3.12'" in result.output


def test_dry_run_prints_the_plan_and_writes_no_layer(recipes_copy: Path, tmp_path: Path):
    result = build(recipes_copy, tmp_path / "out", "numpy", "-r", "python3.12", "-a", "x86_64", "--dry-run")
    assert result.exit_code == 0, result.output
    planned = json.loads(result.stdout)["layers"][0]
    assert planned["dry_run"] is True
    assert planned["plan"]["by_rule"]["tests"]["files"] > 100
    assert "numpy/_core/tests/_natype.py" not in planned["plan"]["remove"]
    assert any(p.startswith("numpy/_core/_multiarray_umath") for p in planned["plan"]["strip"])
    assert not (tmp_path / "out" / "numpy").exists()


def test_without_an_arm64_python_the_table_and_the_note_say_so_and_how_to_get_one(
    recipes_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no configured interpreters
    monkeypatch.delenv("LAYER_BUILDER_PYTHON_3_13_ARM64", raising=False)
    result = runner.invoke(
        app,
        ["build", "numpy", "-r", "python3.13", "-a", "arm64", "--recipes", str(recipes_copy),
         "--layers-dir", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = " ".join(result.stdout.replace("│", " ").split())
    assert "not run: no Python 3.13 for aarch64 found" in table
    note = " ".join(result.stderr.split())
    assert "tests/debian_pythons.sh wrapper 3.13 arm64" in note
    assert "LAYER_BUILDER_PYTHON_3_13_ARM64" in note


def test_the_layers_table_is_readable_in_an_80_column_terminal(recipes_copy: Path, tmp_path: Path):
    from support import terminal

    recipes = tmp_path / "recipes"
    recipes.mkdir()
    name = "numpy-for-my-project"
    shutil.copy(recipes_copy / "numpy.toml", recipes / f"{name}.toml")
    shutil.copytree(recipes_copy / "locks" / "numpy", recipes / "locks" / name)
    args = ["build", name, "-r", "python3.12", "-a", "x86_64", "--recipes", str(recipes)]
    built = runner.invoke(app, [*args, "--layers-dir", str(tmp_path / "out"), "--json"])
    assert built.exit_code == 0, built.output
    manifest = json.loads(built.stdout)["layers"][0]["manifest"]
    code, text = terminal.run([*args, "--layers-dir", "out"], columns=80, cwd=tmp_path)
    assert code == 0, text
    assert max(len(line) for line in text.splitlines()) <= 80, text
    cells = dict(zip(terminal.headers_of(text), terminal.columns_of(text), strict=True))
    expected = {
        "recipe": name,
        "target": "python3.12-x86_64",
        "unzipped MB": f"{manifest['size']['unzipped_bytes'] / 1e6:,.1f}",
        "smoke": manifest["verification"]["smoke"]["status"].replace(" ", ""),
        "zip": f"out/{name}/python3.12-x86_64/layer.zip",
    }
    for header, value in expected.items():
        assert value in cells[header].replace(" ", ""), (header, text)
