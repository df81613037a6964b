"""Fixtures for end-to-end builds: real pip against the package index, real interpreters."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.paths import REPO


@pytest.fixture(scope="session")
def recipes_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped recipes and their committed locks, copied so tests can change them freely."""
    folder = tmp_path_factory.mktemp("recipes") / "recipes"
    shutil.copytree(REPO / "recipes", folder)
    return folder


@pytest.fixture(scope="session")
def layers_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("layers")
