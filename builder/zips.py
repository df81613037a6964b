"""Deterministic zips: the one writer for layer zips and the cleanup job's deployment package.

Same files in, same bytes out: entries in the order given (callers sort), timestamps fixed at the
zip epoch, permissions normalised (0644, or 0755 where any execute bit was set), no directory
entries, no extra fields. Lambda reports base64(sha256(zip)) as CodeSha256, so equal inputs publish
as equal layers.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources.abc import Traversable
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


def write(destination: Path, files: Iterable[tuple[str, Path | Traversable]]) -> ZipFacts:
    """Zip each (name in the archive, source file) into destination, in the order given."""
    unzipped = count = 0
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as archive:
        for name, source in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = (stat.S_IFREG | _permissions(source)) << 16
            info.create_system = 3  # unix, so the permissions above are honoured on extraction
            info.compress_type = zipfile.ZIP_DEFLATED
            with source.open("rb") as reader, archive.open(info, "w") as writer:
                shutil.copyfileobj(reader, writer, CHUNK)
            unzipped += info.file_size
            count += 1
    digest = file_sha256(destination)
    return ZipFacts(
        zipped_bytes=destination.stat().st_size,
        unzipped_bytes=unzipped,
        file_count=count,
        sha256=digest.hex(),
        code_sha256=base64.b64encode(digest).decode(),
    )


def _permissions(source: Path | Traversable) -> int:
    if isinstance(source, Path) and source.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
        return 0o755
    return 0o644


def code_sha256(path: Path) -> str:
    """base64(sha256(file)): what Lambda reports as CodeSha256."""
    return base64.b64encode(file_sha256(path)).decode()


def file_sha256(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.digest()


def extract(source: Path, destination: Path) -> list[str]:
    """Unpack every file of the zip under destination with its recorded permissions; the names.

    A name that would land outside destination (absolute, or with "..") is refused: a layer zip
    never has one, and extracting it would write anywhere."""
    root = destination.resolve()
    names: list[str] = []
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            target = (root / info.filename).resolve()
            if not target.is_relative_to(root):
                raise ValueError(f"{source}: entry {info.filename!r} points outside the folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as reader, target.open("wb") as writer:
                shutil.copyfileobj(reader, writer, CHUNK)
            mode = (info.external_attr >> 16) & 0o777
            target.chmod(mode or 0o644)
            names.append(info.filename)
    return names
