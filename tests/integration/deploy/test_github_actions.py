"""examples/github-actions/layers.yml: checked by actionlint (with shellcheck on its run: steps when
it is installed, as tests/run.sh does), and read against what `layer-builder matrix` prints and
where `build` writes, so the workflow and the tool cannot drift apart."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.paths import REPO
from typer.testing import CliRunner

from builder import manifest
from builder.cli import app

EXAMPLE = REPO / "examples" / "github-actions"
WORKFLOW = EXAMPLE / "layers.yml"


@pytest.fixture(scope="module")
def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(found).is_file():
        pytest.fail("actionlint is not installed: install the [test] extra (tests/run.sh does)")
    return found


def lint(actionlint: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([actionlint, "-no-color", str(path)], capture_output=True, text=True, check=False)


def test_the_workflow_passes_actionlint(actionlint):
    done = lint(actionlint, WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_really_checks_it(actionlint, tmp_path):
    broken = tmp_path / "layers.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs: build", "needs: biuld"))
    done = lint(actionlint, broken)
    assert done.returncode == 1 and 'needs job "biuld" which does not exist' in done.stdout


def github_matrix(*recipes: str) -> list[dict[str, str]]:
    args = ["matrix", *recipes, "--recipes", str(EXAMPLE / "recipes"), "--format", "github"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["include"]  # type: ignore[no-any-return]


def test_every_matrix_field_the_workflow_reads_is_one_matrix_prints():
    text = WORKFLOW.read_text()
    used = set(re.findall(r"(?<![\w.])matrix\.(\w+)", text))  # not needs.matrix.outputs
    entries = github_matrix("analytics")
    assert used and used <= set(entries[0]), used - set(entries[0])
    assert {(e["arch"], e["runner"]) for e in entries} == {
        ("x86_64", "ubuntu-24.04"),
        ("arm64", "ubuntu-24.04-arm"),
    }


def test_the_uploaded_folder_is_where_build_writes_each_target():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["build"]["steps"]
    [upload] = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    for entry in github_matrix("analytics"):

        def value(found: re.Match[str], entry: dict[str, str] = entry) -> str:
            return entry[found[1]]

        path = re.sub(r"\$\{\{ matrix\.(\w+) \}\}", value, upload["with"]["path"])
        assert Path(path) == manifest.layer_dir(Path("layers"), entry["recipe"], entry["target"])
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build"
    [download] = [
        s for s in publish["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact")
    ]
    assert download["with"]["path"] == "layers" and "merge-multiple" not in download["with"]
    assert any("--ssm-parameter" in str(s.get("run", "")) for s in publish["steps"])


def test_the_example_is_a_directory_a_user_can_copy():
    assert (EXAMPLE / "README.md").is_file()
    assert (EXAMPLE / "recipes" / "analytics.toml").is_file()
    locks = sorted(p.stem for p in (EXAMPLE / "recipes" / "locks" / "analytics").glob("*.txt"))
    assert locks == sorted(e["target"] for e in github_matrix("analytics"))
