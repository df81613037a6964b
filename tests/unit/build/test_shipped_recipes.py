"""The shipped recipes are found from any folder; the user's own recipes override them by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builder.build import render
from builder.cli import app
from builder.recipe import SHIPPED, shipped_dir

runner = CliRunner()
SHIPPED_NAMES = {"numpy", "scipy", "pandas", "scipy-stack", "scikit-learn", "pandas-arrow"}


def test_shipped_recipes_and_their_locks_are_package_data():
    folder = shipped_dir()
    assert {p.stem for p in folder.glob("*.toml")} >= SHIPPED_NAMES
    for name in SHIPPED_NAMES:
        assert (folder / "locks" / name / "python3.12-x86_64.txt").is_file(), name


def test_listed_from_a_folder_without_recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["recipes", "list", "--json"])
    assert result.exit_code == 0, result.output
    sources = {r["name"]: r["source"] for r in json.loads(result.stdout)}
    assert sources.keys() >= SHIPPED_NAMES
    assert {sources[name] for name in SHIPPED_NAMES} == {SHIPPED}


def test_a_recipe_in_dot_recipes_overrides_the_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "numpy.toml").write_text(
        '[layer]\ndescription = "my numpy"\nrequirements = ["numpy<3"]\n'
    )
    listed = {r["name"]: r for r in json.loads(runner.invoke(app, ["recipes", "list", "--json"]).stdout)}
    assert listed["numpy"]["description"] == "my numpy"
    assert listed["numpy"]["source"] == str((tmp_path / "recipes").resolve())
    assert listed["scipy"]["source"] == SHIPPED
    shown = json.loads(runner.invoke(app, ["recipes", "show", "numpy", "--json"]).stdout)
    assert shown["description"] == "my numpy"


def test_an_unknown_name_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["recipes", "show", "scikit-lern"])
    assert result.exit_code == 3
    assert "did you mean 'scikit-learn'" in result.output
    assert str(tmp_path / "recipes") in result.output and str(shipped_dir()) in result.output


def test_an_empty_listing_says_where_it_looked(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    render.recipes_table([], [tmp_path / "recipes", tmp_path / "shipped"], as_json=False)
    out = " ".join(capsys.readouterr().out.split())
    assert f"no recipes found; looked in {tmp_path / 'recipes'} (missing)" in out


def test_tables_are_not_cut_when_stdout_is_not_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["recipes", "list"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if "scikit-learn" in line)
    assert "scikit-learn, numpy, scipy" in row and "python3.12, python3.13, python3.14" in row
