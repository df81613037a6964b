"""Real zips, a shared library built with this machine's gcc, the real CLI, and headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import layerzips
from typer.testing import CliRunner

# pthread_create has the symbol version GLIBC_2.34 when linked against glibc >= 2.34.
NEEDS_GLIBC_2_34 = """
#include <pthread.h>
static void *run(void *arg) { return arg; }
int spawn(void) { pthread_t t; pthread_create(&t, 0, run, 0); return pthread_join(t, 0); }
"""


@pytest.fixture(scope="session")
def zips() -> ModuleType:
    return layerzips


@pytest.fixture(scope="session")
def glibc_2_34_library(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A shared library that needs GLIBC_2.34 (python3.12's Amazon Linux 2023 has it, python3.11's AL2 does not)."""
    assert shutil.which("gcc"), "gcc is needed for the ELF checks (Debian: gcc); tests/run.sh installs it"
    folder = tmp_path_factory.mktemp("elf")
    source = folder / "spawn.c"
    source.write_text(NEEDS_GLIBC_2_34)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(folder / "libspawn.so"), str(source)], check=True)
    return (folder / "libspawn.so").read_bytes()


class Cli:
    """The real `layer-builder` app, in-process, as a user would run it from a shell."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str | Path) -> Any:
        from builder.cli import app

        return self.runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    def json(self, *args: str | Path, expect: int = 0) -> dict[str, Any]:
        result = self(*args, "--json")
        assert result.exit_code == expect, result.stdout + result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Path]:
    def go() -> Path:
        monkeypatch.chdir(tmp_path)
        return tmp_path

    return go
