"""`layer-builder matrix`: the recipes' targets as a CI matrix, each on the runner of its architecture."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from builder.ci import matrix
from builder.cli import app
from builder.errors import ConfigError

runner = CliRunner()

RECIPE = """
[layer]
description = "d"
requirements = ["numpy"]
runtimes = ["python3.12", "python3.13"]
architectures = ["x86_64", "arm64"]
license = "MIT"
"""


def invoke(*args: str) -> Any:
    return runner.invoke(app, ["matrix", *args])


def test_github_matrix_is_one_line_with_native_arm64_runners(write_recipe, tmp_path):
    write_recipe(RECIPE, name="stats")
    result = invoke("stats", "--recipes", str(tmp_path / "recipes"))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1  # one line: a $GITHUB_OUTPUT value
    include = json.loads(result.stdout)["include"]
    assert [(e["target"], e["runner"], e["python"]) for e in include] == [
        ("python3.12-x86_64", "ubuntu-24.04", "3.12"),
        ("python3.12-arm64", "ubuntu-24.04-arm", "3.12"),
        ("python3.13-x86_64", "ubuntu-24.04", "3.13"),
        ("python3.13-arm64", "ubuntu-24.04-arm", "3.13"),
    ]
    assert include[1] == {
        "recipe": "stats",
        "runtime": "python3.12",
        "arch": "arm64",
        "target": "python3.12-arm64",
        "python": "3.12",
        "runner": "ubuntu-24.04-arm",
        "artifact": "layer-stats-python3.12-arm64",
    }


def test_several_recipes_narrowed_and_a_runner_overridden(write_recipe, tmp_path):
    write_recipe(RECIPE, name="stats")
    write_recipe(RECIPE, name="other")
    args = ["stats", "other", "--recipes", str(tmp_path / "recipes"), "-r", "python3.13"]
    result = invoke(*args, "--runner", "arm64=my-graviton", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = [(e["recipe"], e["target"], e["runner"]) for e in json.loads(result.stdout)]
    assert rows == [
        ("stats", "python3.13-x86_64", "ubuntu-24.04"),
        ("stats", "python3.13-arm64", "my-graviton"),
        ("other", "python3.13-x86_64", "ubuntu-24.04"),
        ("other", "python3.13-arm64", "my-graviton"),
    ]


def test_gitlab_matrix_is_a_parallel_matrix_block_with_runner_tags(write_recipe, tmp_path):
    write_recipe(RECIPE, name="stats")
    result = invoke("stats", "--recipes", str(tmp_path / "recipes"), "-a", "arm64", "--format", "gitlab")
    assert result.exit_code == 0, result.output
    block = yaml.safe_load(result.stdout)
    assert block == {
        "parallel": {
            "matrix": [
                {
                    "RECIPE": "stats",
                    "RUNTIME": runtime,
                    "ARCH": "arm64",
                    "PYTHON": runtime.removeprefix("python"),
                    "RUNNER_TAG": "saas-linux-small-arm64",
                }
                for runtime in ("python3.12", "python3.13")
            ]
        }
    }


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope"], 3, "no recipe named 'nope'"),
        (["stats", "--format", "circle"], 2, "unknown format 'circle'"),
        (["stats", "--runner", "arm64"], 2, "is not ARCH=RUNNER"),
        (["stats", "--runner", "riscv=x"], 2, "unknown architecture"),
        (["stats", "-r", "python2.7"], 2, "python2.7"),
        (["stats", "stats"], 2, "twice"),
    ],
)
def test_bad_input(write_recipe, tmp_path, args, code, message):
    write_recipe(RECIPE, name="stats")
    result = invoke(*args, "--recipes", str(tmp_path / "recipes"))
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())


def test_runner_overrides_parse():
    assert matrix.parse_runner_overrides(["aarch64 = big", "x86_64=small"]) == {
        "arm64": "big",
        "x86_64": "small",
    }
    with pytest.raises(ConfigError):
        matrix.parse_runner_overrides(["arm64="])
