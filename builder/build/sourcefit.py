"""The bytecode step's `auto` mode: .py sources stay beside their bytecode while the layer fits with
its headroom; when it does not, whole packages go sourceless, largest sources first, until it fits.

Tracebacks show source lines only where the source is there, so every package that had room keeps
them; the manifest names the packages that went sourceless and why (Bytecode.sourceless).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence

from builder import manifest, units
from builder.build import bytecode, fit, minimizer, package, steps
from builder.build.context import BuildContext
from builder.build.size import measured_levers
from builder.runtimes import limits

MB = units.MB


def choose(sources: Mapping[str, int], over: int) -> list[str]:
    """Packages by .py bytes, largest first, until their sources make up `over` bytes (pure)."""
    chosen: list[str] = []
    for name in sorted(sources, key=lambda n: (-sources[n], n)):
        if over <= 0:
            break
        if sources[name] > 0:
            chosen.append(name)
            over -= sources[name]
    return chosen


def fit_sources(
    ctx: BuildContext, compiled: bytecode.BytecodeReport, remaining: Sequence[minimizer.FileEntry]
) -> bytecode.BytecodeReport:
    """Drop sources package by package until the layer fits; a layer that cannot fit is a SizeError."""
    if compiled.status != "compiled":
        return compiled
    allowed = limits().unzipped_bytes - ctx.recipe.headroom_bytes
    size = sum(path.stat().st_size for path in package.tree_files(ctx.layer))
    if size <= allowed:
        return compiled
    failed = set(compiled.failed)
    by_package: dict[str, list[str]] = defaultdict(list)
    sizes: dict[str, int] = defaultdict(int)
    for entry in remaining:
        if entry.path.endswith(".py") and entry.path not in failed:
            name = entry.distribution or "(unowned)"
            by_package[name].append(entry.path)
            sizes[name] += entry.size
    with_sources = size
    went: list[manifest.SourcelessPackage] = []
    for name in choose(sizes, size - allowed):
        dropped = bytecode.make_sourceless(ctx.site, by_package[name])
        size -= dropped
        went.append(
            manifest.SourcelessPackage(
                name=name,
                source_bytes=dropped,
                reason=f"with every source the layer was {units.size(with_sources)}, over the "
                f"{units.size(allowed)} allowed (Lambda's limit less headroom_mb = "
                f"{ctx.recipe.headroom_bytes // MB}); {name} had {units.size(dropped)} of .py",
            )
        )
    if size > allowed:
        what = "with bytecode only (every package sourceless)"
        raise fit.too_large(steps.BYTECODE, measured_levers(ctx, size, what))
    names = ", ".join(p.name for p in went)
    ctx.progress.note(
        f"{ctx.target.key}: {units.count(len(went), 'package')} went sourceless so the layer fits "
        f"({units.size(with_sources)} -> {units.size(size)}, {units.size(allowed)} allowed): {names}"
    )
    return dataclasses.replace(
        compiled,
        reason=f"{compiled.reason}; sources dropped for {names} so the layer fits",
        sourceless=tuple(went),
    )
