"""A full (or read-only) disk for the tests that check what a command says when a write fails: a
small tmpfs, mounted where the machine allows it (root), and a writer that fills it."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def tmpfs(parent: Path, size: str = "256k", *, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs of `size` (read-only if asked) mounted in a new folder under `parent`; skips the test
    where mounting fails."""
    mount = parent / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"{'ro,' if read_only else ''}size={size}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)


def fill(folder: Path) -> None:
    """Write until the file system is full."""
    try:
        with (folder / "filler").open("wb") as out:
            while True:
                out.write(b"\0" * 4096)
                out.flush()
    except OSError:
        pass
