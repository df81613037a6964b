"""One name per concept across commands: --layers-dir is the folder of built layers everywhere,
--layer-names the glob of layer names on storage and prune; older spellings work but are hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from builder.cli import app

runner = CliRunner()


def _help(command: str) -> str:
    result = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", ["build", "inspect", "check", "diff", "publish"])
def test_the_layers_folder_is_layers_dir_everywhere(command: str):
    text = _help(command)
    assert "--layers-dir" in text
    assert "--output" not in text and "--layers " not in text


@pytest.mark.parametrize("command", ["storage", "prune"])
def test_the_layer_name_glob_is_layer_names(command: str):
    text = _help(command)
    assert "--layer-names" in text and "--layers " not in text


def test_an_option_and_its_older_spelling_with_different_values_are_refused(tmp_path: Path):
    result = runner.invoke(
        app, ["inspect", "demo", "--layers-dir", str(tmp_path / "a"), "--layers", str(tmp_path / "b")]
    )
    assert result.exit_code == 2
    assert "--layers-dir and --layers name the same thing" in " ".join(result.output.split())


def test_build_writes_into_layers_dir_and_still_takes_output(repo: Path, tmp_path: Path):
    (tmp_path / "a-file").write_text("")
    for flag in ("--layers-dir", "--output", "-o"):
        result = runner.invoke(
            app,
            ["build", "numpy", "-r", "python3.12", "-a", "x86_64", "--recipes", str(repo / "recipes"),
             flag, str(tmp_path / "a-file" / "out")],
        )  # fmt: skip
        assert result.exit_code == 2, (flag, result.output)
        assert f"cannot use {tmp_path / 'a-file' / 'out'} as the output folder" in result.output
