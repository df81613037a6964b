"""One layer, inspected: its packages by size, what minimizing removed, and its cold import time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder import units
from builder.inspect import bounds, importtime, zipscan
from builder.inspect.importtime import ImportTimes
from builder.inspect.sources import Source
from builder.interpreters import locate as interpreters
from builder.interpreters.run import emulated_cpu
from builder.runtimes import get_architecture, get_runtime, limits


@dataclass(frozen=True, kw_only=True)
class TimeOptions:
    measure: bool = True
    python: Sequence[str] | None = None  # a command running the target's Python, instead of searching
    runtime: str | None = None  # for a zip without a manifest
    arch: str | None = None
    imports: tuple[str, ...] = ()  # instead of the recipe's smoke imports
    runs: int = 3
    env: Mapping[str, str] | None = None  # for the interpreter search and start (PATH, HOME, ...)


@dataclass(frozen=True, kw_only=True)
class Inspection:
    source: Source
    listing: zipscan.Listing
    imports: ImportTimes
    limit_bytes: int

    @property
    def headroom_bytes(self) -> int:
        return self.limit_bytes - self.listing.unzipped_bytes


def inspect(source: Source, options: TimeOptions, scratch: Path) -> Inspection:
    listing = zipscan.scan(source.zip_path, "layer")
    return Inspection(
        source=source,
        listing=listing,
        imports=import_times(source, listing, options, scratch),
        limit_bytes=limits().unzipped_bytes,
    )


def import_times(
    source: Source, listing: zipscan.Listing, options: TimeOptions, scratch: Path
) -> ImportTimes:
    """Time the smoke imports with an interpreter of the layer's Python and machine, or say why not."""
    if not options.measure:
        return importtime.not_measured("--no-import-time was given")
    if listing.hazards:
        return importtime.not_measured(
            f"the zip has {units.count(len(listing.hazards), 'unsafe entry', 'unsafe entries')} "
            f"({listing.hazards[0].describe()}): it is not extracted to time imports"
        )
    too_large = bounds.too_large_to_extract(listing.unzipped_bytes, limits().unzipped_bytes)
    if too_large is not None:
        return importtime.not_measured(too_large)
    imports = options.imports or smoke_imports(source)
    if not imports:
        why = "the recipe has no smoke imports" if source.manifest else (source.note or "no manifest")
        return importtime.not_measured(f"no imports to time ({why}); pass --import NAME")
    runtime_name = options.runtime or _single(source.runtimes)
    if runtime_name is None:
        return importtime.not_measured(
            f"the layer's Python version is unknown ({source.note or 'several runtimes'}); pass --runtime"
        )
    arch_name = options.arch or _single(source.archs)
    version = get_runtime(runtime_name).python
    machine = get_architecture(arch_name).machine if arch_name else None
    search = interpreters.find(version, machine=machine, override=options.python, env=options.env)
    if search.found is None:
        on = f" for {machine}" if machine else ""
        return importtime.not_measured(
            f"no Python {version}{on} on this machine (looked at {search.describe()}); pass --python"
        )
    env = options.env or {}
    return importtime.measure(
        source.zip_path,
        search.found.command,
        imports,
        scratch=scratch,
        layer_modules=module_names(listing),
        base_env={**env, **emulated_cpu(search.found.command, search.found.machine, env)},
        python_label=f"Python {search.found.version} ({search.found.machine})",
        runs=options.runs,
    )


def smoke_imports(source: Source) -> tuple[str, ...]:
    """The recipe's smoke imports, as the build recorded them; () for a zip without a manifest."""
    return source.manifest.verification.smoke.imports if source.manifest else ()


def module_names(listing: zipscan.Listing) -> frozenset[str]:
    """The top-level import names the layer provides ('numpy', 'dateutil', 'six')."""
    return frozenset(
        top.split(".", 1)[0] for p in listing.packages for top in p.tops if not top.endswith("/")
    )


def import_us_by_package(inspection: Inspection) -> dict[str, int]:
    """Self import time summed per package of the layer; modules from elsewhere under '(standard library)'."""
    totals: dict[str, int] = {}
    for module in inspection.imports.modules:
        owner = inspection.listing.module_owner(module.name) if module.in_layer else None
        key = owner or "(standard library)"
        totals[key] = totals.get(key, 0) + module.self_us
    return totals


def _single(values: Sequence[str]) -> str | None:
    return values[0] if len(values) == 1 else None
