"""The CLI through typer's runner, for commands that need no network."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from builder.cli import app
from builder.recipe import parse_recipe

runner = CliRunner()


def test_version_and_help():
    assert runner.invoke(app, ["--version"]).stdout.startswith("layer-builder ")
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "lock", "recipes"):
        assert command in result.stdout


def test_recipes_list_json_shows_the_shipped_recipes(repo: Path):
    result = runner.invoke(app, ["recipes", "list", "--recipes", str(repo / "recipes"), "--json"])
    assert result.exit_code == 0, result.output
    names = {r["name"] for r in json.loads(result.stdout)}
    assert {"numpy", "scipy", "pandas", "scipy-stack"} <= names


def test_recipes_show_reports_lock_states(repo: Path):
    result = runner.invoke(
        app, ["recipes", "show", "scipy-stack", "--recipes", str(repo / "recipes"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["locks"]["python3.12-x86_64"]["state"] == "fresh"
    assert data["locks"]["python3.11-x86_64"]["pins"]["numpy"] == "2.2.6"


def test_lock_check_passes_for_committed_locks_and_fails_for_missing(repo: Path, write_recipe):
    ok = runner.invoke(app, ["lock", "scipy-stack", "--check", "--recipes", str(repo / "recipes")])
    assert ok.exit_code == 0, ok.output
    path = write_recipe(
        '[layer]\nrequirements = ["numpy"]\nruntimes = ["python3.12"]\narchitectures = ["x86_64"]\n'
    )
    missing = runner.invoke(app, ["lock", str(path), "--check"])
    assert missing.exit_code == 4
    assert "no lock for demo on python3.12-x86_64" in missing.output


def test_bad_recipe_is_reported_with_file_key_and_exit_code(write_recipe):
    path = write_recipe('[layer]\nrequirements = ["numpy"]\nruntime = ["python3.12"]\n')
    result = runner.invoke(app, ["recipes", "show", str(path)])
    assert result.exit_code == 3
    assert "unknown key 'layer.runtime' (did you mean 'runtimes'?)" in result.output


def test_every_mistake_of_a_recipe_is_reported_in_one_run(write_recipe):
    path = write_recipe(
        '[layer]\nrequirements = ["numpy"]\nruntime = ["python3.12"]\narchitectures = ["amd64"]\n'
        '[build]\nbytecode = "sourcless"\n[smoke]\nimport = ["numpy"]\n'
    )
    result = runner.invoke(app, ["recipes", "show", str(path)])
    assert result.exit_code == 3
    text = " ".join(result.stderr.split())
    assert "4 problems" in text
    for problem in (
        "unknown key 'layer.runtime' (did you mean 'runtimes'?)",
        "'layer.architectures' has 'amd64'",
        "'build.bytecode' is 'sourcless' (did you mean 'sourceless'?)",
        "unknown key 'smoke.import' (did you mean 'imports'?)",
    ):
        assert problem in text, problem


def test_recipe_not_supporting_the_target_is_refused(repo: Path, write_recipe, tmp_path: Path):
    path = write_recipe(
        '[layer]\nrequirements = ["numpy"]\nruntimes = ["python3.12"]\narchitectures = ["x86_64"]\n'
    )
    result = runner.invoke(
        app, ["build", str(path), "-r", "python3.13", "-a", "x86_64", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "does not support python3.13-x86_64" in result.output


def _unboxed(output: str) -> str:
    """typer's error panel wraps a message over box-drawn lines; read it as one line."""
    return " ".join(output.replace("│", " ").split())


def _build(repo: Path, out: Path, *extra: str):
    args = [
        "build",
        "numpy",
        "-r",
        "python3.12",
        "-a",
        "x86_64",
        "--recipes",
        str(repo / "recipes"),
        "-o",
        str(out),
    ]
    return runner.invoke(app, [*args, *extra])


def test_unknown_bytecode_mode_is_refused_before_any_work(repo: Path, tmp_path: Path):
    result = _build(repo, tmp_path / "out", "--bytecode", "sourcless")
    assert result.exit_code == 2
    assert "unknown bytecode mode 'sourcless' (did you mean 'sourceless'?)" in _unboxed(result.output)
    assert not (tmp_path / "out" / "numpy").exists()


def test_output_folder_that_cannot_be_created_is_a_usage_error(repo: Path, tmp_path: Path):
    (tmp_path / "a-file").write_text("")
    result = _build(repo, tmp_path / "a-file" / "out")
    assert result.exit_code == 2
    assert "cannot use" in result.output and "as the output folder" in result.output


def test_python_override_that_is_not_the_target_version_is_refused(repo: Path, tmp_path: Path):
    result = _build(repo, tmp_path / "out", "--python", str(tmp_path / "no-python"))
    assert result.exit_code == 2
    assert "is not a working Python 3.12 interpreter" in result.output
    assert not (tmp_path / "out" / "numpy").exists()


def test_unknown_backend_is_refused(repo: Path, tmp_path: Path):
    result = _build(repo, tmp_path / "out", "--backend", "podman")
    assert result.exit_code == 2
    assert "unknown backend 'podman'" in result.output


def test_a_runtime_outside_the_defaults_is_built_on_request_while_its_lock_exists(
    repo: Path, write_recipe, tmp_path: Path
):
    path = write_recipe(
        '[layer]\nrequirements = ["numpy<9"]\nruntimes = ["python3.12"]\narchitectures = ["x86_64"]\n'
    )
    lock_dir = path.parent / "locks" / "demo"
    lock_dir.mkdir(parents=True)
    shutil.copy(repo / "recipes" / "locks" / "numpy" / "python3.11-x86_64.txt", lock_dir)
    result = runner.invoke(
        app, ["build", str(path), "-r", "python3.11", "-a", "x86_64", "-o", str(tmp_path / "o")]
    )
    # Past the recipe check, on to the lock, which is stale: its requirements differ (no network).
    assert "does not support" not in result.output
    assert "not among demo's default runtimes" in _unboxed(result.output)
    assert result.exit_code == 4, result.output


def test_shipped_recipes_default_to_the_runtimes_lambda_still_accepts(repo: Path):
    for name in ("numpy", "scipy", "pandas", "scipy-stack"):
        recipe = parse_recipe(repo / "recipes" / f"{name}.toml")
        assert recipe.runtimes == ("python3.12", "python3.13", "python3.14"), name
        assert recipe.architectures == ("x86_64", "arm64"), name
