"""A full disk ends in one line naming the path, a hint and exit code 12 (FileSystemError), not a
traceback: a small tmpfs is mounted for the test where the machine allows it (root)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import fulldisk
from support.paths import REPO

from builder import proc
from builder.errors import FileSystemError


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    with fulldisk.tmpfs(tmp_path) as mount:
        yield mount


def test_a_child_that_runs_out_of_space_is_one_line_with_a_hint(full_disk):
    fulldisk.fill(full_disk)
    script = f"open({str(full_disk / 'more')!r}, 'wb').write(b'0' * 1_000_000)"
    with pytest.raises(FileSystemError) as caught:
        proc.run([sys.executable, "-c", script], step="install")
    assert caught.value.exit_code == 12
    assert (
        caught.value.message.startswith("install: python")
        and "No space left on device" in caught.value.message
    )
    assert "\n" not in caught.value.message and "disk is full" in (caught.value.hint or "")


def test_a_huge_one_line_traceback_is_cut(tmp_path):
    script = "import sys; sys.stderr.write('x' * 90_000); sys.exit(1)"
    with pytest.raises(Exception) as caught:
        proc.run([sys.executable, "-c", script], step="install")
    assert len(str(caught.value)) < 1_000 and "(90,000 characters)" in str(caught.value)


DRIVER = Path(__file__).with_name("fakebuild.py")


def test_a_disk_that_fills_up_while_the_zip_is_written_is_one_line_with_a_hint(tmp_path):
    # 2 MB of random data: the install fits on the 3 MB file system, the zip of it beside it does not.
    with fulldisk.tmpfs(tmp_path, size="3m") as disk:
        done = subprocess.run(
            [sys.executable, str(DRIVER), str(disk / "layers"), str(tmp_path / "recipes"), "2000000"],
            capture_output=True,
            text=True,
            timeout=300,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")]),
            },
        )
        assert done.returncode == 12, done.stderr
        assert "step package" in done.stdout, done.stdout  # the install and the rest fitted
        [line] = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        assert line.startswith("error: package: could not write") and "No space left on device" in line
        assert "Traceback" not in done.stderr and "disk is full" in done.stderr
        assert not (disk / "layers" / "demo").exists() or not any((disk / "layers" / "demo").iterdir())
        assert not any((disk / "layers" / ".work").glob("*")), "the scratch folder is removed"
