"""Wheels written by hand for the tests that install from a find-links folder or a local index:
the given files plus METADATA, WHEEL and a RECORD with each file's hash, as pip checks them."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Mapping
from pathlib import Path


def write_wheel(
    folder: Path, name: str, version: str, files: Mapping[str, bytes], *, purelib: bool = True
) -> Path:
    """`folder/NAME-VERSION-py3-none-any.whl`; `purelib=False` declares it platform-specific
    (Root-Is-Purelib: false), as wheels with compiled libraries do."""
    dist_info = f"{name}-{version}.dist-info"
    root_is_purelib = "true" if purelib else "false"
    files = {
        **files,
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: {root_is_purelib}\nTag: py3-none-any\n"
        ).encode(),
    }
    rows = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{path},sha256={digest},{len(data)}")
    rows.append(f"{dist_info}/RECORD,,")
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{dist_info}/RECORD", "\n".join(rows) + "\n")
    return wheel
