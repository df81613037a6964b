"""The build cache: a key of everything that changes a layer, and the existing layer it may answer with."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from builder import __version__, manifest, zips
from builder.build import minimizer
from builder.build.backends import base
from builder.recipe import Recipe
from builder.runtimes import Target, table_version


def build_key(
    recipe: Recipe,
    target: Target,
    lock_path: Path,
    mode: manifest.BytecodeMode,
    backend: base.Backend,
) -> str:
    """Everything that changes the output. Equal keys mean the existing layer can be reused."""
    payload = {
        "tool": __version__,
        "tables": table_version(),
        "rules": minimizer.default_rules().version,
        "recipe": recipe.content_hash(),
        "lock": hashlib.sha256(lock_path.read_bytes()).hexdigest(),
        "target": target.key,
        "bytecode": mode,
        **backend.fingerprint(),
    }
    return "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def from_cache(final: Path, key: str) -> manifest.Manifest | None:
    existing = manifest.read(final / manifest.MANIFEST)
    zip_path = final / manifest.LAYER_ZIP
    if existing is None or existing.build_key != key or not zip_path.is_file():
        return None
    # Trust the zip only if it is still the one the manifest describes.
    if zips.file_sha256(zip_path).hex() != existing.zip.sha256:
        return None
    return existing
