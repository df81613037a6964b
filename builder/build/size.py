"""The size step: the layer against Lambda's unzipped limit, less the recipe's headroom.

It lists the layer's files once; the package step zips exactly that listing. A layer over the limit
fails with the levers in numbers (fit.py): what sourceless bytecode would save, the headroom with
which it fits, the largest and the GPU-only packages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from builder.build import fit, minimizer, package, steps
from builder.build.context import BuildContext
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
        raise fit.too_large(steps.SIZE, measured_levers(ctx, unzipped))
    return LayerFiles(files=files, unzipped_bytes=unzipped)


def measured_levers(ctx: BuildContext, unzipped: int, what: str = "") -> fit.Levers:
    """The levers of the layer as built: its packages, and the sources that still have bytecode
    beside. `what` says which layer it is, when not the finished one."""
    kept: dict[str, int] = {}
    sources: dict[str, int] = {}
    for entry in minimizer.scan(ctx.site):
        name = entry.distribution or "(unowned)"
        kept[name] = kept.get(name, 0) + entry.size
        if entry.path.endswith(".py") and _has_bytecode(ctx.site / entry.path):
            sources[name] = sources.get(name, 0) + entry.size
    shares = tuple(
        fit.PackageShare(name=name, kept_bytes=total, source_bytes=sources.get(name, 0))
        for name, total in sorted(kept.items(), key=lambda item: (-item[1], item[0]))
    )
    return fit.levers(
        size=unzipped,
        what=what,
        limit=limits().unzipped_bytes,
        headroom=ctx.recipe.headroom_bytes,
        sources_left=sum(sources.values()),
        packages=shares,
        locked=ctx.locked,
    )


def _has_bytecode(source: Path) -> bool:
    return any(source.parent.glob(f"__pycache__/{source.stem}.*.pyc"))
