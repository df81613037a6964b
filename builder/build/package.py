"""The package step: the layer tree as a deterministic zip (builder/zips.py), in an atomic output folder."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from builder import manifest, zips
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
        keep_publish_record(final, staging)
        with leftovers.target_lock(final.parent, final.name):
            previous = final.parent / f".{final.name}.old-{os.getpid()}-{staging.name.rsplit('-', 1)[-1]}"
            if final.exists():
                os.replace(final, previous)
            os.replace(staging, final)
            shutil.rmtree(previous, ignore_errors=True)


def keep_publish_record(final: Path, staging: Path) -> None:
    """Carry published.json into the new folder when the new zip is the content it records.

    The record names the ARNs of one zip (by CodeSha256, what Lambda reports): a rebuild with the
    same bytes (--no-cache, a new tool version that changes nothing) is still that layer, so its
    ARNs stay; a rebuild with other bytes was never published, so the record goes with the old zip.
    """
    record, new_zip = final / manifest.PUBLISHED, staging / manifest.LAYER_ZIP
    if not record.is_file() or not new_zip.is_file():
        return
    try:
        published = json.loads(record.read_text(encoding="utf-8")).get("code_sha256")
    except (OSError, ValueError, AttributeError):
        return  # unreadable: it describes nothing we can vouch for
    if published == zips.code_sha256(new_zip):
        shutil.copy2(record, staging / manifest.PUBLISHED)


def remove_if_empty(folder: Path) -> None:
    """Remove the scratch root once no build uses it: an output folder holds layers, nothing else.
    Another build still working in it (a folder of its own inside) keeps it."""
    with contextlib.suppress(OSError):  # not empty (another build, --keep-work) or already gone
        folder.rmdir()


def clear_leftovers(parent: Path, name: str) -> None:
    """Remove .new-/.old- folders left by a build that was killed (SIGKILL, power loss), never
    those of a build still running."""
    leftovers.clear_target(parent, name)
