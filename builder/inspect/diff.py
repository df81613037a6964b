"""What changed between two builds: packages added, removed or at another version, and what each costs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from builder.inspect import inspection
from builder.inspect.inspection import Inspection, TimeOptions, import_us_by_package
from builder.inspect.sources import Source

ChangeKind = Literal["added", "removed", "version", "size"]


@dataclass(frozen=True, kw_only=True)
class Change:
    package: str
    kind: ChangeKind  # "size": same version (or none), other bytes
    old_version: str | None
    new_version: str | None
    bytes_delta: int  # unzipped
    zipped_delta: int
    import_us_delta: int | None  # None unless both import times were measured


@dataclass(frozen=True, kw_only=True)
class Diff:
    old: str
    new: str
    old_bytes: int
    new_bytes: int
    old_zipped: int
    new_zipped: int
    changes: tuple[Change, ...]  # biggest byte change first
    import_us_delta: int | None
    import_note: str  # why import times are missing, when they are
    imports: tuple[str, ...] = ()  # the modules timed in both layers, in this order

    @property
    def bytes_delta(self) -> int:
        return self.new_bytes - self.old_bytes


def compare(old: Source, new: Source, options: TimeOptions, scratch: Path) -> Diff:
    """Inspect both layers, timing the same imports in each, and diff them."""
    imports, why_not = same_imports(old, new, options.imports) if options.measure else ((), "")
    options = replace(options, imports=imports, measure=bool(imports))
    reports = [
        inspection.inspect(source, options, scratch / name) for name, source in (("old", old), ("new", new))
    ]
    return diff(reports[0], reports[1], why_not=why_not)


def same_imports(old: Source, new: Source, requested: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """The imports to time in both layers, or why there are none.

    Import time is only comparable for the same modules: two recipes' smoke imports differ (the
    newer one often adds some), and timing each layer's own list compares different work. Without
    --import, the smoke imports both layers share are timed, in the old layer's order.
    """
    if requested:
        return requested, ""
    before, after = inspection.smoke_imports(old), inspection.smoke_imports(new)
    shared = tuple(name for name in before if name in after)
    if shared:
        return shared, ""
    listed = f"old: {', '.join(before) or 'none'}; new: {', '.join(after) or 'none'}"
    return (), f"the layers share no smoke import ({listed}); pass --import NAME to time the same modules"


def diff(old: Inspection, new: Inspection, *, why_not: str = "") -> Diff:
    timed = old.imports.status == "measured" and new.imports.status == "measured" and not why_not
    old_us = import_us_by_package(old) if timed else {}
    new_us = import_us_by_package(new) if timed else {}
    before = {p.name: p for p in old.listing.packages}
    after = {p.name: p for p in new.listing.packages}
    changes = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        kind: ChangeKind
        if a is None:
            kind = "added"
        elif b is None:
            kind = "removed"
        elif a.version != b.version:
            kind = "version"
        else:
            kind = "size"
        change = Change(
            package=name,
            kind=kind,
            old_version=a.version if a else None,
            new_version=b.version if b else None,
            bytes_delta=(b.unzipped_bytes if b else 0) - (a.unzipped_bytes if a else 0),
            zipped_delta=(b.zipped_bytes if b else 0) - (a.zipped_bytes if a else 0),
            import_us_delta=(new_us.get(name, 0) - old_us.get(name, 0)) if timed else None,
        )
        if kind != "size" or change.bytes_delta:  # import time alone wobbles from run to run
            changes.append(change)
    changes.sort(key=lambda c: (-abs(c.bytes_delta), c.package))
    note = "" if timed else why_not or f"old: {old.imports.reason}; new: {new.imports.reason}"
    return Diff(
        old=old.source.label,
        new=new.source.label,
        old_bytes=old.listing.unzipped_bytes,
        new_bytes=new.listing.unzipped_bytes,
        old_zipped=old.listing.zipped_bytes,
        new_zipped=new.listing.zipped_bytes,
        changes=tuple(changes),
        import_us_delta=(new.imports.total_us - old.imports.total_us) if timed else None,
        import_note=note,
        imports=tuple(step.name for step in old.imports.steps) if timed else (),
    )
