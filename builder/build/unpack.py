"""`build --unpack-to DIR`: the built (or cached) layer's content, unpacked into a folder that a
deployment tool packages itself. `sam build` with `BuildMethod: makefile` hands a Makefile target
ARTIFACTS_DIR and zips whatever the target leaves there as the layer, so the folder gets exactly
the verified zip's files (python/...) and nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from builder import zips
from builder.errors import ConfigError


def destination(value: str | None, targets: int, dry_run: bool) -> Path | None:
    """The folder to unpack into, checked before anything is built; None when not asked for."""
    if value is None:
        return None
    if not value.strip():
        raise ConfigError(
            "--unpack-to is empty: ARTIFACTS_DIR is not set, so this Makefile target was run outside "
            "`sam build`",
            hint="run `sam build` (it sets ARTIFACTS_DIR for each Makefile target), or pass a folder: "
            "--unpack-to DIR",
        )
    if targets != 1:
        raise ConfigError(
            f"--unpack-to takes exactly one target: one --runtime and one --arch ({targets} given)",
            hint="e.g. -r python3.12 -a x86_64 --unpack-to DIR",
        )
    if dry_run:
        raise ConfigError("--unpack-to needs a layer, and --dry-run writes none", hint="leave out --dry-run")
    folder = Path(value)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(
            f"--unpack-to {folder} is not an empty folder",
            hint="unpack into an empty folder (sam build gives each target an empty ARTIFACTS_DIR); "
            "files already there would end up in the layer",
        )
    return folder


def unpack(zip_path: Path, folder: Path) -> list[str]:
    """Exactly the zip's files into the (empty or new) folder; on any failure the folder is left
    empty again, never half-written."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return zips.extract(zip_path, folder)
    except BaseException:
        for child in folder.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
        raise
