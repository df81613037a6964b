"""`layer-builder new` from a requirements file, then `build`: real pip, real interpreter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builder import tomlload
from builder.cli import app
from builder.interpreters.locate import find

pytestmark = pytest.mark.network
runner = CliRunner()
HAVE_312 = find("3.12", machine="x86_64", override=None).found is not None


def test_new_recipe_from_requirements_is_locked_and_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    # python-dateutil installs the module `dateutil`: the smoke test must import that name.
    (tmp_path / "requirements.txt").write_text("python-dateutil  # dates\nsix\n")
    made = runner.invoke(
        app, ["new", "dates", "--requirements", "requirements.txt", "-r", "python3.12", "-a", "x86_64"]
    )
    assert made.exit_code == 0, made.output
    assert "locked 1 target →" in made.stdout
    recipe = tomlload.loads((tmp_path / "recipes" / "dates.toml").read_text())
    assert recipe["layer"]["requirements"] == ["python-dateutil", "six"]
    assert recipe["smoke"]["imports"] == ["dateutil", "six"]
    assert (tmp_path / "recipes" / "locks" / "dates" / "python3.12-x86_64.txt").is_file()

    again = runner.invoke(app, ["new", "dates", "--requirements", "requirements.txt"])
    assert again.exit_code == 3 and "exists already" in again.output

    built = runner.invoke(app, ["build", "dates", "-r", "python3.12", "-a", "x86_64", "--json"])
    assert built.exit_code == 0, built.output
    assert [p.name for p in (tmp_path / "layers").iterdir()] == ["dates"], "no empty .work left"
    manifest = json.loads(built.stdout)["layers"][0]["manifest"]
    assert manifest["requested"] == ["python-dateutil", "six"]
    if HAVE_312:
        assert manifest["verification"]["smoke"]["status"] == "passed"
