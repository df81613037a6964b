"""Small real layer zips for the inspect tests: wheels' files with dist-info RECORDs, and built layers
(layer.zip + manifest.json) under a layers/ folder, as `layer-builder build` leaves them."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from builder import manifest
from support.manifests import sample_manifest

Files = Mapping[str, bytes | int]


def content(path: str, size: int) -> bytes:
    """`size` bytes that differ per path (and compress, as real files do)."""
    seed = f"# {path}\n".encode()
    return (seed * (size // len(seed) + 1))[:size]


def dist(
    name: str, version: str, files: Files, *, site: str = "python/", record: bool = True
) -> dict[str, bytes]:
    """A distribution's files under site, with the dist-info a wheel installs (METADATA, RECORD)."""
    folder = f"{name.replace('-', '_')}-{version}.dist-info"
    out = {
        f"{site}{path}": data if isinstance(data, bytes) else content(path, data)
        for path, data in files.items()
    }
    out[f"{site}{folder}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    if record:
        listed = [*files, f"{folder}/METADATA", f"{folder}/RECORD"]
        out[f"{site}{folder}/RECORD"] = "".join(f"{path},,\n" for path in listed).encode()
    return out


def write_zip(path: Path, *parts: Mapping[str, bytes | int], stored: Iterable[str] = ()) -> Path:
    """A deflated zip of every file in parts (bytes, or a size for generated content)."""
    keep = set(stored)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for files in parts:
            for name, data in sorted(files.items()):
                body = data if isinstance(data, bytes) else content(name, data)
                archive.writestr(name, body, zipfile.ZIP_STORED if name in keep else zipfile.ZIP_DEFLATED)
    return path


def zeros_zip(path: Path, name: str, size: int) -> Path:
    """A zip with one file of `size` zero bytes, written in chunks: unzips big, stays small."""
    chunk = bytes(1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        left = size
        while left:
            member.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
    return path


def built_layer(
    layers: Path,
    recipe: str,
    runtime: str,
    arch: str,
    *parts: Mapping[str, bytes | int],
    imports: tuple[str, ...] = (),
    by_package: Mapping[str, tuple[int, int, int]] | None = None,
) -> Path:
    """layers/<recipe>/<runtime>-<arch>/{layer.zip, manifest.json}; returns the folder."""
    folder = layers / recipe / f"{runtime}-{arch}"
    zip_path = write_zip(folder / manifest.LAYER_ZIP, *parts)
    data = zip_path.read_bytes()
    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
    unzipped = sum(i.file_size for i in infos)
    totals = {
        name: manifest.PackageTotal(kept_bytes=kept, removed_bytes=removed, removed_files=files)
        for name, (kept, removed, files) in (by_package or {}).items()
    }
    removed = sum(t.removed_bytes for t in totals.values())
    removed_files = sum(t.removed_files for t in totals.values())
    written = sample_manifest(
        recipe=recipe,
        runtime=runtime,
        arch=arch,
        recipe_hash="sha256:1",
        description=f"{recipe} for tests",
        license="MIT",
        build_key="sha256:2",
        packages={},
        requested=(recipe,),
        size=manifest.Size(
            unzipped_bytes=unzipped,
            zipped_bytes=len(data),
            file_count=len(infos),
            unzipped_limit_bytes=262_144_000,
            headroom_bytes=262_144_000 - unzipped,
            direct_upload=True,
        ),
        zip=manifest.ZipDigest(
            sha256=hashlib.sha256(data).hexdigest(),
            code_sha256=base64.b64encode(hashlib.sha256(data).digest()).decode(),
        ),
        largest=(),
        minimize=manifest.Minimize(
            removed_files=removed_files,
            removed_bytes=removed,
            stripped_files=0,
            strip_saved_bytes=0,
            strip="applied",
            by_rule={"tests": manifest.RuleTotal(files=removed_files, bytes=removed)} if removed else {},
            by_package=totals,
        ),
        bytecode=manifest.Bytecode(
            mode="none", status="skipped", reason="tests", interpreter=None, invalidation=None
        ),
        elf=manifest.ElfCheck(status="passed", elf_files=0, machine="x86_64", glibc="2.34"),
        smoke=manifest.Smoke(status="passed", reason="tests", imports=imports),
    )
    manifest.write(folder / manifest.MANIFEST, written)
    return folder
