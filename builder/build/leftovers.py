"""Folders a build owns while it runs, and removing those whose owner is gone.

Two builds may share an output folder (two terminals, a CI matrix on one runner). Each scratch
folder a build makes (`.work/<pid>-*`, `.<target>.new-<pid>-*`) carries its PID in its name and is
locked with flock(2) for as long as the build runs; the kernel drops the lock when the process
ends, however it ends (https://man7.org/linux/man-pages/man2/flock.2.html). A later build removes
a folder only when it can take that lock itself and the PID is not running, so it never deletes the
work of a build that is still going. The swap of the finished output and the restoring of a good
layer a killed build left aside happen under one lock (the output's parent folder), so a cleanup never lands between
the swap's two renames.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from builder.errors import BuildError

# A folder whose lock is free but whose PID runs is either being created this instant (made, not
# yet locked) or its PID was reused; after this long it is the second.
GRACE_SECONDS = 60.0
# How long a build waits for another build's swap of the same target (a rename or two).
SWAP_WAIT_SECONDS = 120.0
PID = re.compile(r"(\d+)-")
KEPT = "kept-"  # --keep-work


@contextlib.contextmanager
def owned_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder `parent/<prefix><pid>-<random>`, locked for the life of the context.

    Removing it is the caller's business; the lock only tells other builds it is in use."""
    path = _make_in(parent, prefix)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield path
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _make_in(parent: Path, prefix: str, attempts: int = 5) -> Path:
    # Another build that just finished removes an empty scratch root (.work) with rmdir; should that
    # land between making the parent and the folder in it, make both again.
    for _ in range(attempts - 1):
        parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            return Path(tempfile.mkdtemp(dir=parent, prefix=f"{prefix}{os.getpid()}-"))
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=parent, prefix=f"{prefix}{os.getpid()}-"))


@contextlib.contextmanager
def target_lock(parent: Path, name: str, wait: float = SWAP_WAIT_SECONDS) -> Iterator[None]:
    """Hold a lock while the output folder `parent/name` is swapped or repaired: the lock of the
    folder `parent` itself, so no lock file is left beside the layers (the swaps of a recipe's
    targets wait for each other, and each is a rename or two)."""
    parent.mkdir(parents=True, exist_ok=True)
    lock_path = parent
    fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise BuildError(
                    "package",
                    f"another build has held the lock of {lock_path} for over {wait:.0f} s",
                    hint=f"wait for the other build of {name} to finish",
                )
            time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def clear_target(parent: Path, name: str) -> None:
    """Remove what builds of `parent/name` that are gone left behind: their staging folders and,
    unless the output itself went missing (then it is restored), the output they set aside."""
    if not parent.is_dir():
        return
    for leftover in sorted(parent.glob(f".{name}.new-*")):
        remove_if_abandoned(leftover, f".{name}.new-")
    olds = sorted(parent.glob(f".{name}.old-*"))
    if not olds:
        return
    final = parent / name
    with target_lock(parent, name):  # no build is between its two renames now
        for old in olds:
            if not old.is_dir():
                continue
            if not final.exists():
                os.replace(old, final)  # killed between the two renames: restore the good one
            else:
                shutil.rmtree(old, ignore_errors=True)


def clear_work(root: Path) -> None:
    """Remove `.work/<pid>-*` folders of builds that are gone (a killed build leaves its install);
    `kept-*` (--keep-work) stay."""
    if not root.is_dir():
        return
    for leftover in sorted(root.iterdir()):
        if PID.match(leftover.name):
            remove_if_abandoned(leftover, "")


def keep(work: Path) -> Path:
    """Rename a finished build's work folder to `kept-<name>`, which no cleanup removes."""
    kept = work.with_name(f"{KEPT}{work.name}")
    os.replace(work, kept)
    return kept


def remove_if_abandoned(path: Path, prefix: str) -> bool:
    """Delete `path` if its owner is gone; hold its lock while deleting. True if it was removed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False  # gone already, or not a folder of ours
    try:
        if not _try_lock(fd) or not _owner_gone(path, prefix):
            return False
        shutil.rmtree(path, ignore_errors=True)
        return not path.exists()
    finally:
        os.close(fd)


def _owner_gone(path: Path, prefix: str) -> bool:
    """Called with the folder's lock held (so no build holds it): is its PID gone, or old enough?"""
    match = PID.match(path.name[len(prefix) :])
    if match is None:
        return True  # a name without a PID: made by an older release, which is not running
    if not _running(int(match.group(1))):
        return True
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return False
    return age > GRACE_SECONDS


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True
