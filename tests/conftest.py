"""Shared fixtures: paths into the repository and small recipe files written on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def write_recipe(tmp_path: Path) -> Callable[..., Path]:
    """Write a recipe TOML into tmp_path/recipes/<name>.toml and return its path."""

    def write(text: str, name: str = "demo") -> Path:
        folder = tmp_path / "recipes"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}.toml"
        path.write_text(text)
        return path

    return write
