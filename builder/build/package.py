"""The package step: the layer tree as a deterministic zip (builder/zips.py), in an atomic output folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from builder import zips
from builder.build import leftovers
from builder.zips import ZipFacts


def tree_files(root: Path) -> list[Path]:
    """Every regular file under root, in a stable order (by posix relative path)."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def write_zip(root: Path, destination: Path, files: Sequence[Path] | None = None) -> ZipFacts:
    """Zip the tree under root (paths relative to root) into destination, byte for byte reproducibly.

    `files` is the tree's listing when the caller has it already (tree_files order); else it is made.
    """
    listed = tree_files(root) if files is None else files
    return zips.write(destination, ((path.relative_to(root).as_posix(), path) for path in listed))


@contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield an empty sibling folder; on success it replaces `final`, on any failure it vanishes.

    The old output stays in place until the new one is complete, so a failed or interrupted build
    never leaves a partial artifact and never destroys a good one. The staging folder is locked
    while the build runs and the swap holds the target's lock (see leftovers.py), so a build
    starting meanwhile neither deletes the staging folder nor catches the swap half done.
    """
    with leftovers.owned_dir(final.parent, f".{final.name}.new-") as staging:
        staging.chmod(0o755)  # mkdtemp makes it private; the output folder is not
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        with leftovers.target_lock(final.parent, final.name):
            previous = final.parent / f".{final.name}.old-{os.getpid()}-{staging.name.rsplit('-', 1)[-1]}"
            if final.exists():
                os.replace(final, previous)
            os.replace(staging, final)
            shutil.rmtree(previous, ignore_errors=True)


def clear_leftovers(parent: Path, name: str) -> None:
    """Remove .new-/.old- folders left by a build that was killed (SIGKILL, power loss), never
    those of a build still running."""
    leftovers.clear_target(parent, name)
