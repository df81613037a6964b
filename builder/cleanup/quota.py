"""Code storage against the quota: from GetAccountSettings when it answers, else summed from the
listings and labelled so. Pure: works on a Listing and the layer sizes read for it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from builder.cleanup.model import Listing
from builder.runtimes import limits


@dataclass(frozen=True, kw_only=True)
class Usage:
    limit: int
    used: int
    measured: bool  # True when both numbers come from GetAccountSettings
    note: str

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.limit if self.limit else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "limit_bytes": self.limit,
            "used_bytes": self.used,
            "percent": round(self.percent, 3),
            "source": "GetAccountSettings" if self.measured else "computed",
            "note": self.note,
        }


@dataclass(frozen=True, kw_only=True)
class Holder:
    """A function or layer and the bytes all its versions hold."""

    kind: str
    name: str
    versions: int
    size: int

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "versions": self.versions, "bytes": self.size}


def usage(listing: Listing, layer_sizes: Mapping[str, int]) -> Usage:
    settings = listing.settings
    if settings is not None:
        return Usage(limit=settings.limit, used=settings.usage, measured=True, note="from GetAccountSettings")
    used, unknown = summed(listing, layer_sizes)
    note = (
        f"GetAccountSettings unavailable ({listing.settings_error}): usage summed from the listings, "
        "quota assumed to be Lambda's default"
    )
    if unknown:
        note += f"; {unknown} layer versions of unknown size counted as 0"
    return Usage(limit=limits().default_code_storage_bytes, used=used, measured=False, note=note)


def summed(listing: Listing, layer_sizes: Mapping[str, int]) -> tuple[int, int]:
    """Bytes of every function version and layer version listed, and how many sizes were unknown."""
    used = sum(version.code_size for versions in listing.functions.values() for version in versions)
    unknown = 0
    for versions in listing.layers.values():
        for layer_version in versions:
            if layer_version.arn in layer_sizes:
                used += layer_sizes[layer_version.arn]
            else:
                unknown += 1
    return used, unknown


def holders(listing: Listing, layer_sizes: Mapping[str, int], top: int) -> tuple[list[Holder], list[Holder]]:
    """The `top` functions and layers holding the most bytes across all their versions."""
    functions = [
        Holder(kind="function", name=name, versions=len(versions), size=sum(v.code_size for v in versions))
        for name, versions in listing.functions.items()
    ]
    layers = [
        Holder(
            kind="layer",
            name=name,
            versions=len(versions),
            size=sum(layer_sizes.get(v.arn, 0) for v in versions),
        )
        for name, versions in listing.layers.items()
    ]

    def biggest(rows: list[Holder]) -> list[Holder]:
        return sorted(rows, key=lambda row: (-row.size, row.name))[:top]

    return biggest(functions), biggest(layers)
