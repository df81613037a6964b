"""Gather what `check` needs from each layer and the function zip, then ask the stack planner."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from builder import runtimes
from builder.build.minimizer import default_rules
from builder.inspect import elfscan, stack, zipscan
from builder.inspect.sources import Source


def part(source: Source, position: int) -> stack.Part:
    listing = zipscan.scan(source.zip_path, "layer")
    elf = elfscan.scan_elf(source.zip_path)
    archs, arch_from = source.archs, ("manifest" if source.manifest else "ARN") if source.archs else ""
    machines = {f.arch for f in elf}
    if not archs and len(machines) == 1:
        archs, arch_from = tuple(machines), "ELF files"
    return stack.Part(
        label=source.label,
        kind="layer",
        position=position,
        listing=listing,
        runtimes=source.runtimes,
        archs=archs,
        arch_from=arch_from,
        elf=elf,
    )


def function_part(path: Path) -> stack.Part:
    listing = zipscan.scan(path, "function")  # first: it says clearly when path is no zip
    elf = elfscan.scan_elf(path)
    machines = {f.arch for f in elf}
    return stack.Part(
        label=str(path),
        kind="function",
        position=0,
        listing=listing,
        runtimes=(),
        archs=tuple(machines) if len(machines) == 1 else (),
        arch_from="ELF files" if len(machines) == 1 else "",
        elf=elf,
    )


def check(
    sources: Sequence[Source], function_zip: Path | None, *, runtime: str | None, arch: str | None
) -> stack.StackPlan:
    runtime = runtimes.get_runtime(runtime).name if runtime else None  # a typo is an error, not "no match"
    arch = runtimes.get_architecture(arch).name if arch else None
    parts = [function_part(function_zip)] if function_zip else []
    parts += [part(source, position) for position, source in enumerate(sources, start=1)]
    limits = runtimes.limits()
    rules = stack.Rules(
        unzipped_limit=limits.unzipped_bytes,
        max_layers=limits.max_layers,
        runtime_glibc={name: r.glibc for name, r in runtimes.runtimes().items()},
        runtime_provided=default_rules().runtime_provided,
        runtime=runtime,
        arch=arch,
    )
    return stack.plan(parts, rules)
