"""Built layers on disk, as `build` leaves them, for the publish tests: a real zip and a manifest
of the current schema that describes it. Building a real scipy layer takes minutes; publishing
reads only these two files, so the tests write them directly.
"""

from __future__ import annotations

import base64
import hashlib
import random
import zipfile
from dataclasses import replace
from pathlib import Path

from builder import manifest
from builder.manifest import Manifest
from support.manifests import sample_manifest


def write_layer(
    root: Path,
    *,
    recipe: str = "demo",
    runtime: str = "python3.12",
    arch: str = "x86_64",
    content: str = "v1",
    payload_bytes: int = 2_000,
    smoke: manifest.SmokeStatus = "passed",
    license: str = "BSD-3-Clause",
) -> Path:
    """Write root/<recipe>/<runtime>-<arch>/{layer.zip, manifest.json}; return the folder.

    The payload is random bytes seeded by `content` (stored, so the zip is about payload_bytes and
    a large one really is large); the same arguments give the same zip."""
    folder = root / recipe / f"{runtime}-{arch}"
    folder.mkdir(parents=True, exist_ok=True)
    payload = random.Random(content).randbytes(payload_bytes)
    zip_path = folder / manifest.LAYER_ZIP
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in (
            ("python/demo/__init__.py", f"VERSION = {content!r}\n".encode()),
            ("python/demo/data.bin", payload),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    digest = hashlib.sha256(zip_path.read_bytes()).digest()
    built = replace(
        sample(recipe=recipe, runtime=runtime, arch=arch, license=license, smoke=smoke),
        size=manifest.Size(
            unzipped_bytes=payload_bytes + 20,
            zipped_bytes=zip_path.stat().st_size,
            file_count=2,
            unzipped_limit_bytes=262_144_000,
            headroom_bytes=0,
            direct_upload=zip_path.stat().st_size <= 52_428_800,
        ),
        zip=manifest.ZipDigest(sha256=digest.hex(), code_sha256=base64.b64encode(digest).decode()),
    )
    manifest.write(folder / manifest.MANIFEST, built)
    return folder


def sample(
    *,
    recipe: str = "demo",
    runtime: str = "python3.12",
    arch: str = "x86_64",
    license: str = "BSD-3-Clause",
    smoke: manifest.SmokeStatus = "passed",
    requested: tuple[str, ...] = ("numpy", "scipy"),
) -> Manifest:
    return sample_manifest(
        recipe=recipe,
        runtime=runtime,
        arch=arch,
        license=license,
        requested=requested,
        smoke=manifest.Smoke(
            status=smoke,
            reason="2 imports",
            failures=("import scipy.stats: ImportError",) if smoke == "failed" else (),
        ),
    )
