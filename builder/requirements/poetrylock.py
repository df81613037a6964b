"""poetry.lock: the packages of the main group (and any --group), pinned.

Poetry 2 records each package's groups (`groups = ["main"]`) and per-group markers; Poetry 1 a
`category`. Locks written by Poetry 1.5 to 1.8 record neither: then every non-optional package is
taken, with a note. Packages only an extra of the project needs are `optional = true` and left out.
https://python-poetry.org/docs/basic-usage/#committing-your-poetrylock-file-to-version-control
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

from builder.requirements import direct
from builder.requirements.environments import Environment, verdict
from builder.requirements.model import Pin, RequirementsError, Selection

SOURCE_KINDS = {"git": "vcs", "url": "url", "file": "path", "directory": "path"}


def select(
    data: Mapping[str, Any], *, source: str, environments: Sequence[Environment], groups: Sequence[str] = ()
) -> Selection:
    packages = data.get("package")
    if not isinstance(packages, list) or not packages:
        raise RequirementsError(f"{source} lists no packages", hint="run `poetry lock` and pass it again")
    wanted = {"main", *groups}
    known_groups = {g for p in packages for g in p.get("groups", [p.get("category", "main")])}
    for group in groups:
        if group not in known_groups:
            raise RequirementsError(
                f"{source} has no group {group!r}", hint=f"its groups: {', '.join(sorted(known_groups))}"
            )
    pins, notes, untagged = [], [], 0
    for package in packages:
        name = canonicalize_name(str(package["name"]))
        if package.get("optional", False):  # needed only by an extra of the project
            continue
        chosen = _groups_of(package)
        if chosen is None:
            untagged += 1
            chosen = ["main"]
        chosen = [g for g in chosen if g in wanted]
        if not chosen:
            continue
        _refuse_local(package, name, source)
        marker = _marker(package, chosen, source, environments)
        if marker == "never":
            notes.append(f"{name} {package['version']} left out: its marker holds on no Lambda target")
            continue
        pins.append(Pin(name=name, version=str(package["version"]), marker=marker))
    if untagged:
        notes.append(
            f"{source} does not record groups (Poetry 1.5 to 1.8): every non-optional package is taken, "
            "development tools included; `poetry export --only main` writes the main group alone"
        )
    return Selection(pins=tuple(pins), direct=_roots(packages, pins), notes=tuple(notes))


def _groups_of(package: Mapping[str, Any]) -> list[str] | None:
    if "groups" in package:
        return [str(g) for g in package["groups"]]
    if "category" in package:
        return [str(package["category"])]
    return None


def _refuse_local(package: Mapping[str, Any], name: str, source: str) -> None:
    src = package.get("source") or {}
    kind = SOURCE_KINDS.get(str(src.get("type", "")))
    if kind is None:
        return
    if package.get("develop", False):
        kind = "editable"
    raise direct.refuse(f"{source}: {name}", str(src.get("url", name)), kind)


def _marker(
    package: Mapping[str, Any], groups: Sequence[str], source: str, environments: Sequence[Environment]
) -> str | None:
    """The package's marker for the chosen groups; 'never' when it holds on no target."""
    raw = package.get("markers")
    if raw is None:
        return None
    texts = [raw] if isinstance(raw, str) else [raw[g] for g in groups if g in raw]
    if isinstance(raw, Mapping) and len(texts) < len(groups):
        return None  # a chosen group needs it unconditionally
    try:
        markers = [Marker(str(t)) for t in texts]
    except InvalidMarker as exc:
        raise RequirementsError(f"{source}: {package['name']}: invalid marker: {exc}") from exc
    combined = markers[0]
    for marker in markers[1:]:
        combined = combined | marker
    judged = verdict(combined, environments)
    return None if judged == "always" else ("never" if judged == "never" else str(combined))


def _roots(packages: Sequence[Mapping[str, Any]], pins: Sequence[Pin]) -> tuple[str, ...]:
    """The chosen packages no other chosen package depends on: what the project asks for itself."""
    chosen = {p.name for p in pins}
    needed = {
        canonicalize_name(dep)
        for package in packages
        if canonicalize_name(str(package["name"])) in chosen
        for dep in package.get("dependencies", {})
    }
    return tuple(p.name for p in pins if p.name not in needed) or tuple(p.name for p in pins)
