"""Shared fixtures: paths into the repository and small recipe files written on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.paths import REPO
from support.prerequisites import run_or_fail


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


PYTHONS_SCRIPT = REPO / "tests" / "debian_pythons.sh"
# A cold start installs qemu-user-static and debootstrap and unpacks a Debian root (about 40 s each).
PYTHONS_TIMEOUT_SECONDS = 900


@pytest.fixture(scope="session")
def debian_python() -> Callable[[str, str], str]:
    """The path of a wrapper script that runs Debian's Python `version` for `arch` (x86_64/arm64).

    Under qemu-user for arm64, through its own loader for a newer amd64 Debian. FAILS, never skips,
    when it cannot be made: every shipped runtime x arch must be verified somewhere.
    """
    made: dict[tuple[str, str], str] = {}

    def wrapper(version: str, arch: str) -> str:
        if (version, arch) not in made:
            command = ["bash", str(PYTHONS_SCRIPT), "wrapper", version, arch]
            made[version, arch] = run_or_fail(command, PYTHONS_TIMEOUT_SECONDS).strip().splitlines()[-1]
        return made[version, arch]

    return wrapper
