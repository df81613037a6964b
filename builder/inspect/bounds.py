"""Reading a zip that may be hostile: metadata read with a size cap, unsafe entries found before
anything is extracted, and extraction only of what stays inside the scratch folder.

A layer zip comes from a build folder, a download or a colleague: `inspect` and `check` must not
run out of memory on a 1 GB RECORD, fill the disk with a zip bomb, or write outside their scratch
folder because of an entry named `../x`, `/x` or a symlink pointing out of the tree (the classic
"zip slip", https://security.snyk.io/research/zip-slip-vulnerability).
"""

from __future__ import annotations

import posixpath
import re
import shutil
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from builder.runtimes import limits

# RECORD, METADATA and friends: scipy's RECORD is about 200 kB; nothing real comes near this.
METADATA_CAP = 8 * 1024 * 1024
SYMLINK_CAP = 4096  # PATH_MAX: a symlink's target is its content
# A member that unzips to more than this many times its compressed size and, alone, past Lambda's
# unzipped limit is a bomb, not a layer file: real libraries and code compress 2-10x, and a
# sparse data file that compresses better is fine as long as it fits in a layer.
BOMB_RATIO = 100
# The import profile extracts the layer; one this far over Lambda's unzipped limit is not.
EXTRACT_LIMIT_FACTOR = 1.25
COPY_CHUNK = 1 << 20

HazardKind = Literal["traversal", "absolute", "symlink", "bomb", "oversized"]
WHY: dict[HazardKind, str] = {
    "traversal": "its path climbs out of the layer with '..'",
    "absolute": "its path is absolute",
    "symlink": "it is a symlink pointing out of the layer",
    "bomb": "it unzips to far more than it takes in the zip (a zip bomb)",
    "oversized": "a metadata file over the size cap, not read",
}


@dataclass(frozen=True, kw_only=True)
class Hazard:
    path: str
    kind: HazardKind
    detail: str = ""

    def describe(self) -> str:
        return f"{self.path!r}: {WHY[self.kind]}{f' ({self.detail})' if self.detail else ''}"

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "kind": self.kind, "reason": WHY[self.kind], "detail": self.detail}


def unsafe_path(name: str) -> HazardKind | None:
    """Whether a member's name would land outside the folder it is extracted into."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute"
    if ".." in re.split(r"[/\\]", name):
        return "traversal"
    return None


def is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def escapes(name: str, target: str) -> bool:
    """Whether a symlink at `name` pointing to `target` resolves outside the zip's tree."""
    if target.startswith("/") or unsafe_path(target) == "absolute":
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    return resolved == ".." or resolved.startswith("../")


def read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes | None:
    """The member's bytes, or None when it is larger than `cap` (never more than cap + 1 are read,
    whatever the header claims)."""
    if info.file_size > cap:
        return None
    with archive.open(info) as member:
        data = member.read(cap + 1)
    return None if len(data) > cap else data


def hazards(
    archive: zipfile.ZipFile, infos: Iterable[zipfile.ZipInfo], bomb_bytes: int | None = None
) -> list[Hazard]:
    """Every member that extracting could turn against the reader. `bomb_bytes`: the size past
    which a member that compresses beyond BOMB_RATIO is a bomb (default: Lambda's unzipped limit)."""
    bomb_bytes = limits().unzipped_bytes if bomb_bytes is None else bomb_bytes
    found: list[Hazard] = []
    for info in infos:
        kind = unsafe_path(info.filename)
        if kind is not None:
            found.append(Hazard(path=info.filename, kind=kind))
            continue
        if is_symlink(info):
            target = read_capped(archive, info, SYMLINK_CAP)
            text = target.decode("utf-8", "replace") if target is not None else None
            if text is None or escapes(info.filename, text):
                found.append(Hazard(path=info.filename, kind="symlink", detail=f"-> {text or '(too long)'}"))
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > bomb_bytes and ratio > BOMB_RATIO:
            found.append(
                Hazard(
                    path=info.filename,
                    kind="bomb",
                    detail=f"{info.file_size:,} bytes from {info.compress_size:,}, {ratio:,.0f}:1",
                )
            )
    return found


def extract(archive: zipfile.ZipFile, root: Path) -> None:
    """Extract the regular files of `archive` under `root`: no symlinks, nothing whose path leaves
    root (checked again on the resolved path, not only by name), each file at most its declared
    size (zipfile stops there)."""
    root.mkdir(parents=True, exist_ok=True)
    top = root.resolve()
    for info in archive.infolist():
        if info.is_dir() or is_symlink(info) or unsafe_path(info.filename):
            continue
        destination = (top / info.filename).resolve()
        if not destination.is_relative_to(top):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as member, destination.open("wb") as out:
            shutil.copyfileobj(member, out, COPY_CHUNK)
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            destination.chmod(mode | 0o600)


def too_large_to_extract(unzipped_bytes: int, limit: int) -> str | None:
    """Why a layer is not extracted for the import profile, or None when it may be."""
    if unzipped_bytes <= limit * EXTRACT_LIMIT_FACTOR:
        return None
    return (
        f"the layer unzips to {unzipped_bytes:,} bytes, {unzipped_bytes * 100 // max(limit, 1)}% of Lambda's "
        f"{limit:,}-byte limit: it is not extracted to time imports (it cannot be deployed as it is)"
    )
