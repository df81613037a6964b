"""The size step: the layer against Lambda's unzipped limit, less the recipe's headroom.

It lists the layer's files once; the package step zips exactly that listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder import manifest
from builder.build import package, steps
from builder.build.context import BuildContext
from builder.errors import SizeLimitError
from builder.runtimes import limits


@dataclass(frozen=True, kw_only=True)
class LayerFiles:
    """Every file of the layer, in zip order, and their total size (what Lambda counts unzipped)."""

    files: list[Path]
    unzipped_bytes: int


def check_size(ctx: BuildContext) -> LayerFiles:
    recipe = ctx.recipe
    files = package.tree_files(ctx.layer)
    unzipped = sum(p.stat().st_size for p in files)
    allowed = limits().unzipped_bytes - recipe.headroom_bytes
    if unzipped > allowed:
        biggest = ", ".join(f"{e.name} {e.bytes / 1e6:.1f} MB" for e in manifest.largest_entries(ctx.site, 5))
        raise SizeLimitError(
            steps.SIZE,
            f"the layer is {unzipped:,} bytes unzipped; Lambda allows {limits().unzipped_bytes:,} for a function "
            f"and its layers, minus this recipe's headroom of {recipe.headroom_bytes:,} = {allowed:,}. "
            f"Biggest: {biggest}",
            hint="split the recipe into several layers, add minimize rules, or lower headroom_mb",
        )
    return LayerFiles(files=files, unzipped_bytes=unzipped)
