"""Deterministic layer zips and atomic output folders.

Same tree in, same bytes out: entries sorted, timestamps fixed at the zip epoch, permissions
normalised (0644, or 0755 where any execute bit was set), no directory entries, no extra fields.
Lambda reports base64(sha256(zip)) as CodeSha256, so equal inputs publish as equal layers.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 9
CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class ZipFacts:
    zipped_bytes: int
    unzipped_bytes: int
    file_count: int
    sha256: str  # hex
    code_sha256: str  # base64, as Lambda reports it


def tree_files(root: Path) -> list[Path]:
    """Every regular file under root, in a stable order (by posix relative path)."""
    files = [p for p in root.rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def write_zip(root: Path, destination: Path) -> ZipFacts:
    """Zip the tree under root (paths relative to root) into destination."""
    unzipped = 0
    files = tree_files(root)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=ZIP_EPOCH)
            mode = path.stat().st_mode
            permissions = 0o755 if mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH) else 0o644
            info.external_attr = (stat.S_IFREG | permissions) << 16
            info.create_system = 3  # unix, so the permissions above are honoured on extraction
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as target:
                shutil.copyfileobj(source, target, CHUNK)
            unzipped += info.file_size
    digest = file_sha256(destination)
    return ZipFacts(
        zipped_bytes=destination.stat().st_size,
        unzipped_bytes=unzipped,
        file_count=len(files),
        sha256=digest.hex(),
        code_sha256=base64.b64encode(digest).decode(),
    )


def file_sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.digest()


@contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield an empty sibling folder; on success it replaces `final`, on any failure it vanishes.

    The old output stays in place until the new one is complete, so a failed or interrupted build
    never leaves a partial artifact and never destroys a good one.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}.new-"))
    staging.chmod(0o755)  # mkdtemp makes it private; the output folder is not
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, previous)
    os.replace(staging, final)
    shutil.rmtree(previous, ignore_errors=True)


def clear_leftovers(parent: Path, name: str) -> None:
    """Remove .new-/.old- folders left by a build that was killed (SIGKILL, power loss)."""
    final = parent / name
    for leftover in parent.glob(f".{name}.*-*"):
        if leftover.is_dir():
            if leftover.name.startswith(f".{name}.old-") and not final.exists():
                os.replace(leftover, final)  # killed between the two renames: restore the good one
            else:
                shutil.rmtree(leftover, ignore_errors=True)
