"""One sample manifest for every test that needs one, so a new manifest field gets its test value here.

`sample_manifest()` fills every field with a plausible value for a small demo layer; callers name
only the fields their test is about. Nested parts have their own defaults (`size`, `minimize`,
`bytecode`, `elf`, `smoke`) and are replaced whole.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from builder import manifest
from builder.manifest import Manifest


def sample_manifest(
    *,
    recipe: str = "demo",
    runtime: str = "python3.12",
    arch: str = "x86_64",
    size: manifest.Size | None = None,
    minimize: manifest.Minimize | None = None,
    bytecode: manifest.Bytecode | None = None,
    elf: manifest.ElfCheck | None = None,
    smoke: manifest.Smoke | None = None,
    **fields: Any,
) -> Manifest:
    """A manifest of the current schema; `fields` replace top-level fields (dataclasses.replace)."""
    built = Manifest(
        recipe=recipe,
        recipe_hash="sha256:" + "1" * 64,
        description="NumPy and SciPy",
        license="BSD-3-Clause",
        runtime=runtime,
        arch=arch,
        os="Amazon Linux 2023",
        glibc="2.34",
        backend="local",
        build_image=None,
        tool_version="0.1.0",
        build_key="sha256:" + "2" * 64,
        lock=manifest.LockInfo(path=f"{runtime}-{arch}.txt", sha256="ab" * 32),
        packages={"numpy": "2.5.5", "scipy": "1.18.1", "demo-dep": "1.0"},
        requested=("numpy", "scipy"),
        size=size
        or manifest.Size(
            unzipped_bytes=300,
            zipped_bytes=120,
            file_count=3,
            unzipped_limit_bytes=262_144_000,
            headroom_bytes=0,
            direct_upload=True,
        ),
        zip=manifest.ZipDigest(sha256="cd" * 32, code_sha256="zc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc0="),
        largest=(manifest.SizeEntry(name="demo", bytes=300),),
        minimize=minimize
        or manifest.Minimize(
            removed_files=0, removed_bytes=0, stripped_files=0, strip_saved_bytes=0, strip="applied"
        ),
        bytecode=bytecode
        or manifest.Bytecode(
            mode="auto",
            status="compiled",
            reason="",
            interpreter=None,
            invalidation="unchecked-hash",
            sourceless=(
                manifest.SourcelessPackage(
                    name="scipy", source_bytes=120, reason="with every source the layer was over"
                ),
            ),
        ),
        verification=manifest.Verification(
            elf=elf
            or manifest.ElfCheck(
                status="passed", elf_files=0, machine="aarch64" if arch == "arm64" else "x86_64", glibc="2.34"
            ),
            smoke=smoke or manifest.Smoke(status="passed", reason="2 imports"),
        ),
        indexes=manifest.PackageIndexes(
            index_url="https://download.pytorch.org/whl/cpu", find_links=("/srv/wheels",)
        ),
    )
    return dataclasses.replace(built, **fields)
