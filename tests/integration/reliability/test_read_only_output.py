"""A layers folder that cannot be written is bad input, said before any work: exit 2 with the
folder and a hint, not a traceback after the install. A read-only tmpfs is mounted for the test
where the machine allows it (root, whom file modes do not stop)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import fulldisk


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    with fulldisk.tmpfs(tmp_path, "64k", read_only=True) as mount:
        yield mount


@pytest.mark.parametrize("spelling", ["--layers-dir", "--output"])
def test_a_read_only_layers_folder_is_bad_input_before_any_work(read_only, spelling):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "builder",
            "build",
            "numpy",
            "-r",
            "python3.12",
            "-a",
            "x86_64",
            spelling,
            str(read_only),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot use {read_only} as the output folder" in done.stderr
    assert "Read-only file system" in done.stderr and "--layers-dir" in done.stderr
    assert "installing" not in done.stderr  # said before the install
