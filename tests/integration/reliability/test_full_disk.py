"""A full disk ends in one line naming the path, a hint and exit code 12 (FileSystemError), not a
traceback: a small tmpfs is mounted for the test where the machine allows it (root)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import fulldisk

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
