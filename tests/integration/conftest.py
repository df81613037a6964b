"""Layers built once per session and shared by the build and docker tests (they take minutes)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support.paths import REPO
from typer.testing import CliRunner

from builder.cli import app


@pytest.fixture(scope="session")
def local_layer(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build `recipe` for one target with the local backend (once per arguments); its folder."""
    recipes = tmp_path_factory.mktemp("shared-recipes") / "recipes"
    shutil.copytree(REPO / "recipes", recipes)
    out = tmp_path_factory.mktemp("shared-layers")
    built: dict[tuple[str, ...], Path] = {}

    def build(recipe: str, runtime: str, arch: str, *extra: str) -> Path:
        key = (recipe, runtime, arch, *extra)
        if key not in built:
            folder = out / str(len(built))
            args = ["build", recipe, "-r", runtime, "-a", arch, "--recipes", str(recipes)]
            result = CliRunner().invoke(app, [*args, "-o", str(folder), "--json", *extra])
            assert result.exit_code == 0, result.output
            built[key] = folder / recipe / f"{runtime}-{arch}"
            json.loads((built[key] / "manifest.json").read_text())  # written and readable
        return built[key]

    return build
