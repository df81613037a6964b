"""A layers folder assembled from many machines: each CI job builds one target and uploads its
folder as an artifact; the publish job downloads them all into one folder, where they may sit at
`<recipe>/<target>/` (as `build` writes them), under one folder per artifact
(`<artifact>/<recipe>/<target>/`), or with the files at the artifact's top (`<artifact>/`).

Every folder holding a manifest.json is a copy of the target its manifest names. Copies of the
same zip are one layer; two copies of one target with different content are an error that names
both, because publishing either would silently drop the other.
"""

from __future__ import annotations

from pathlib import Path

from builder import manifest
from builder.errors import ConfigError
from builder.zips import file_sha256

# <artifact>/<recipe>/<target>/manifest.json is three folders down; one more for a nested download.
MAX_DEPTH = 4


def layer_folders(root: Path, max_depth: int = MAX_DEPTH) -> list[Path]:
    """Every folder under root (root included) that holds a manifest.json, in a stable order.

    Folders starting with "." (a build's scratch and staging folders) are not searched, nor is a
    layer folder itself."""
    found: list[Path] = []
    level = [root] if root.is_dir() else []
    for _ in range(max_depth + 1):
        following: list[Path] = []
        for folder in level:
            if (folder / manifest.MANIFEST).is_file():
                found.append(folder)
                continue
            following += [
                child
                for child in sorted(folder.iterdir())
                if child.is_dir() and not child.name.startswith(".")
            ]
        level = following
    return sorted(found)


def copies(root: Path, recipe: str) -> dict[str, list[Path]]:
    """The folders holding each built target of `recipe`, by target key (`pick` chooses one).

    The folder `build` writes (root/<recipe>/<target>) is found as before, whatever its manifest
    holds (the checks that follow report a bad one); other folders count when their manifest is
    readable and of this recipe."""
    canonical = manifest.built_targets(root, recipe)
    copies: dict[str, list[Path]] = {key: [folder] for key, folder in canonical.items()}
    known = set(canonical.values())
    for folder in layer_folders(root):
        if folder in known:
            continue
        found = manifest.read(folder / manifest.MANIFEST)
        if found is not None and found.recipe == recipe:
            copies.setdefault(found.target, []).append(folder)
    return dict(sorted(copies.items()))


def pick(recipe: str, target: str, folders: list[Path]) -> Path:
    """The first copy when every copy holds the same zip; an error naming two that differ."""
    first, first_digest = folders[0], _digest(folders[0])
    for other in folders[1:]:
        digest = _digest(other)
        if digest != first_digest:
            raise ConfigError(
                f"{recipe} {target} was built twice with different content: {first} (zip sha256 "
                f"{first_digest}) and {other} (zip sha256 {digest})",
                hint="keep one of them: remove the other folder, or download each CI artifact once "
                "(a target should be built by one job)",
            )
    return first


def _digest(folder: Path) -> str:
    """The zip's sha256 as its manifest records it, or of the file when the manifest is unreadable."""
    found = manifest.read(folder / manifest.MANIFEST)
    if found is not None:
        return found.zip.sha256
    zip_path = folder / manifest.LAYER_ZIP
    return file_sha256(zip_path).hex() if zip_path.is_file() else "(no layer.zip)"
