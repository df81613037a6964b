"""A zip's contents grouped by package: unzipped bytes, zipped bytes and files for each.

A file's package is the first path component under the folder Python imports from (python/ or
python/lib/pythonX.Y/site-packages/ in a layer, the zip's root in function code), mapped to its
distribution through the wheels' `*.dist-info/RECORD` files, so numpy.libs/ counts as numpy and
dateutil/ as python-dateutil. Files outside those folders (a layer's lib/ or bin/) are grouped by
their top folder.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from builder.errors import ConfigError
from builder.inspect import bounds
from builder.layer import distinfo

Kind = Literal["layer", "function"]

# Lambda puts both on sys.path, site-packages first (docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html).
SITE_PACKAGES = re.compile(r"^python/lib/python3\.\d+/site-packages/")
PYTHON = "python/"
UNSAFE = "(unsafe paths)/"  # where entries named ../x or /x are counted


@dataclass(frozen=True, kw_only=True)
class Entry:
    path: str  # as in the zip
    size: int  # unzipped
    compressed: int
    site: str  # the import folder it lives under ("python/", "", ...), or "" outside any
    top: str  # first component under site ("numpy", "six.py"); for files outside, their top folder + "/"


@dataclass(frozen=True, kw_only=True)
class Package:
    name: str  # canonical distribution name, or the top-level name when no RECORD claims it
    version: str | None
    unzipped_bytes: int
    zipped_bytes: int
    files: int
    site: str
    tops: tuple[str, ...]  # top-level names it owns ("numpy", "numpy.libs", "numpy-2.5.5.dist-info")


@dataclass(frozen=True, kw_only=True)
class Listing:
    kind: Kind
    archive_bytes: int  # the zip file itself
    entries: tuple[Entry, ...]
    packages: tuple[Package, ...]  # largest first
    owners: dict[str, str]  # entry path -> package name
    hazards: tuple[bounds.Hazard, ...] = ()  # entries extracting could turn against the reader

    @property
    def unzipped_bytes(self) -> int:
        return sum(entry.size for entry in self.entries)

    @property
    def zipped_bytes(self) -> int:
        return sum(entry.compressed for entry in self.entries)

    @property
    def file_count(self) -> int:
        return len(self.entries)

    def package(self, name: str) -> Package | None:
        return next((p for p in self.packages if p.name == name), None)

    def module_owner(self, module: str) -> str | None:
        """The package a top-level import name (e.g. 'dateutil') belongs to, when the zip holds it."""
        for package in self.packages:
            if any(_module_key(top) == module for top in package.tops):
                return package.name
        return None


def scan(path: Path, kind: Kind = "layer") -> Listing:
    """Read the zip's central directory and its RECORD files (each up to bounds.METADATA_CAP);
    nothing is extracted. Unsafe entries are listed in `hazards`."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [info for info in archive.infolist() if not info.is_dir()]
            found = bounds.hazards(archive, infos)
            unsafe = {
                h.path for h in found if h.kind != "bomb"
            }  # a bomb RECORD: reported as over the cap too
            records: dict[str, str] = {}
            for info in infos:
                if not _is_record(info.filename) or info.filename in unsafe:
                    continue
                data = bounds.read_capped(archive, info, bounds.METADATA_CAP)
                if data is None:  # reported, never read whole
                    detail = f"{info.file_size:,} bytes, the cap is {bounds.METADATA_CAP:,}"
                    found.append(bounds.Hazard(path=info.filename, kind="oversized", detail=detail))
                    continue
                records[info.filename] = data.decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise ConfigError(
            f"cannot read {path} as a zip: {exc}", hint="pass a layer zip (layer.zip) or a function zip"
        ) from exc
    entries = tuple(_entry(info, kind) for info in infos)
    return group(entries, records, kind=kind, archive_bytes=path.stat().st_size, hazards=tuple(found))


def group(
    entries: tuple[Entry, ...],
    records: dict[str, str],
    *,
    kind: Kind,
    archive_bytes: int,
    hazards: tuple[bounds.Hazard, ...] = (),
) -> Listing:
    """Sum the entries by package (pure: the zip reading is in `scan`)."""
    exact, by_top, versions = _distributions(records)
    owners: dict[str, str] = {}
    for entry in entries:
        relative = entry.path[len(entry.site) :]
        owner = exact.get((entry.site, relative)) or by_top.get((entry.site, _module_key(entry.top)))
        owners[entry.path] = owner or _module_key(entry.top)
    sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    sites: dict[str, str] = {}
    tops: dict[str, dict[str, None]] = defaultdict(dict)
    for entry in entries:
        name = owners[entry.path]
        totals = sizes[name]
        totals[0] += entry.size
        totals[1] += entry.compressed
        totals[2] += 1
        sites.setdefault(name, entry.site)
        tops[name][entry.top] = None
    packages = sorted(
        (
            Package(
                name=name,
                version=versions.get(name),
                unzipped_bytes=unzipped,
                zipped_bytes=zipped,
                files=files,
                site=sites[name],
                tops=tuple(sorted(tops[name])),
            )
            for name, (unzipped, zipped, files) in sizes.items()
        ),
        key=lambda p: (-p.unzipped_bytes, p.name),
    )
    return Listing(
        kind=kind,
        archive_bytes=archive_bytes,
        entries=entries,
        packages=tuple(packages),
        owners=owners,
        hazards=hazards,
    )


def site_of(path: str, kind: Kind) -> str:
    """The import folder a zip path lives under, or "" when it is outside every one (a layer's lib/)."""
    if kind == "function":
        return ""
    found = SITE_PACKAGES.match(path)
    if found:
        return found.group(0)
    return PYTHON if path.startswith(PYTHON) else ""


def _entry(info: zipfile.ZipInfo, kind: Kind) -> Entry:
    path = info.filename
    if bounds.unsafe_path(path):  # counted, never taken for a package named '..' or '/'
        return Entry(path=path, size=info.file_size, compressed=info.compress_size, site="", top=UNSAFE)
    site = site_of(path, kind)
    inside = kind == "function" or bool(site)
    rest = path[len(site) :]
    first, slash, _ = rest.partition("/")
    top = first if inside else first + slash
    if inside and first == "__pycache__":  # __pycache__/six.cpython-312.pyc belongs with six.py
        top = rest.split("/")[1] if "/" in rest else first
    return Entry(path=path, size=info.file_size, compressed=info.compress_size, site=site, top=top)


def _is_record(path: str) -> bool:
    parts = path.split("/")
    return len(parts) >= 2 and parts[-1] == "RECORD" and parts[-2].endswith(".dist-info")


def _distributions(
    records: dict[str, str],
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str], dict[str, str]]:
    """From each RECORD: the exact files it lists, the top-level names it owns, and its version."""
    exact: dict[tuple[str, str], str] = {}
    by_top: dict[tuple[str, str], str] = {}
    versions: dict[str, str] = {}
    for record_path, text in sorted(records.items()):
        folder = record_path.rsplit("/", 2)[-2]
        site = record_path[: len(record_path) - len(folder) - len("/RECORD")]
        name = distinfo.distribution(folder)
        version = folder.removesuffix(".dist-info").partition("-")[2]
        versions[name] = version
        by_top[(site, folder)] = name
        for relative in distinfo.record_paths(text):
            exact[(site, relative)] = name
            first = relative.split("/", 1)[0]
            by_top.setdefault((site, _module_key(first)), name)
    return exact, by_top, versions


def _module_key(top: str) -> str:
    """The import name of a top-level entry: 'six.py', 'six.pyc', '_cffi.cpython-312-x86_64-linux-gnu.so' -> the
    part before the first dot; folders (numpy, numpy.libs, x.dist-info) stay as they are."""
    if top.endswith("/"):
        return top
    if top.endswith((".py", ".pyc", ".so", ".pyd", ".pth")):
        return top.split(".", 1)[0]
    return top
