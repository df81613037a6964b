"""Finding an interpreter of the target version: PATH, pyenv, this interpreter, --python."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from builder.build.interpreters import find

VERSION = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_found_in_a_pyenv_root(tmp_path: Path):
    folder = tmp_path / "pyenv" / "versions" / f"{VERSION}.99" / "bin"
    folder.mkdir(parents=True)
    (folder / f"python{VERSION}").symlink_to(sys.executable)
    search = find(
        VERSION, machine=None, override=None, env={"PATH": "", "PYENV_ROOT": str(tmp_path / "pyenv")}
    )
    assert search.found is not None and search.found.version == VERSION
    assert any(place.startswith("pyenv:") for place in search.looked_at)


def test_override_of_the_wrong_version_is_not_used(tmp_path: Path):
    search = find("3.1", machine=None, override=(sys.executable,), env={"PATH": ""})
    assert search.found is None
    assert search.looked_at == (f"--python: {sys.executable}",)


def test_machine_must_match_for_the_smoke_test():
    assert find(VERSION, machine=platform.machine(), override=(sys.executable,)).found is not None
    other = "aarch64" if platform.machine() == "x86_64" else "x86_64"
    assert find(VERSION, machine=other, override=(sys.executable,)).found is None


def test_nothing_found_lists_where_it_looked(tmp_path: Path):
    search = find(
        "3.99", machine=None, override=None, env={"PATH": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    )
    assert search.found is None
    assert search.describe() == "nowhere"
