"""The size step: the layer against Lambda's unzipped limit, less the recipe's headroom."""

from __future__ import annotations

from pathlib import Path

from builder import manifest
from builder.build import steps
from builder.errors import SizeLimitError
from builder.recipe import Recipe
from builder.runtimes import limits


def check_size(recipe: Recipe, site: Path) -> int:
    layer_root = site.parent
    unzipped = sum(p.stat().st_size for p in layer_root.rglob("*") if p.is_file())
    allowed = limits().unzipped_bytes - recipe.headroom_bytes
    if unzipped > allowed:
        biggest = ", ".join(f"{e.name} {e.bytes / 1e6:.1f} MB" for e in manifest.largest_entries(site, 5))
        raise SizeLimitError(
            steps.SIZE,
            f"the layer is {unzipped:,} bytes unzipped; Lambda allows {limits().unzipped_bytes:,} for a function "
            f"and its layers, minus this recipe's headroom of {recipe.headroom_bytes:,} = {allowed:,}. "
            f"Biggest: {biggest}",
            hint="split the recipe into several layers, add minimize rules, or lower headroom_mb",
        )
    return unzipped
