"""uv.lock: the pinned closure of the root project's dependencies.

The root is the project at "." (source `editable` or `virtual`); workspace members and the project
itself are source trees, not packages on the index, so they are walked through but not pinned. A
package reached only under a marker keeps the conjunction of the markers along the way (or'ed over
every way it is reached); one no supported target can reach is left out.
https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name

from builder.requirements import direct
from builder.requirements.environments import Environment, verdict
from builder.requirements.model import Pin, RequirementsError, Selection
from builder.suggest import did_you_mean

LOCAL_SOURCES = ("editable", "virtual")
Key = tuple[str, str]  # (canonical name, version)


def select(
    data: Mapping[str, Any],
    *,
    source: str,
    environments: Sequence[Environment],
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> Selection:
    packages = data.get("package")
    if not isinstance(packages, list) or not packages:
        raise RequirementsError(f"{source} lists no packages", hint="run `uv lock` and pass it again")
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for package in packages:
        by_name.setdefault(canonicalize_name(str(package["name"])), []).append(package)
    root = _root(packages, source)
    start = list(root.get("dependencies", []))
    optional = {canonicalize_name(k): v for k, v in root.get("optional-dependencies", {}).items()}
    dev = {canonicalize_name(k): v for k, v in root.get("dev-dependencies", {}).items()}
    for extra, table, what in [(e, optional, "extra") for e in extras] + [(g, dev, "group") for g in groups]:
        wanted = canonicalize_name(extra)
        if wanted not in table:
            raise RequirementsError(
                f"{source}: the project has no {what} {extra!r}{did_you_mean(wanted, table)}",
                hint=f"its {what}s: {', '.join(sorted(table)) or 'none'}",
            )
        start += table[wanted]
    reached = _walk(start, by_name, environments=environments, source=source)
    pins, notes = [], []
    for key, markers in reached.items():
        package = _find(by_name, {"name": key[0], "version": key[1]}, source)
        kind = _source_kind(package)
        if kind in LOCAL_SOURCES:
            if package is not root:
                notes.append(f"{key[0]} is a {kind} source tree in the workspace: not in the layer")
            continue
        if kind != "registry":
            raise direct.refuse(f"{source}: {key[0]}", _describe_source(package), kind)
        pins.append(Pin(name=key[0], version=key[1], marker=_either(markers, environments)))
    names = tuple(dict.fromkeys(canonicalize_name(str(d["name"])) for d in start))
    return Selection(
        pins=tuple(pins), direct=tuple(n for n in names if any(p.name == n for p in pins)), notes=tuple(notes)
    )


def _root(packages: Sequence[Mapping[str, Any]], source: str) -> Mapping[str, Any]:
    local = [p for p in packages if any(k in p.get("source", {}) for k in LOCAL_SOURCES)]
    for package in local:
        if any(package["source"].get(k) == "." for k in LOCAL_SOURCES):
            return package
    if len(local) == 1:
        return local[0]
    raise RequirementsError(
        f'{source} has no root project (a package whose source is editable or virtual ".")',
        hint="pass the uv.lock of a project (run `uv lock` in its folder), or `uv export` a requirements file",
    )


def _source_kind(package: Mapping[str, Any]) -> str:
    src = package.get("source", {})
    for kind in (*LOCAL_SOURCES, "registry"):
        if kind in src:
            return kind
    if "git" in src:
        return "vcs"
    if "url" in src:
        return "url"
    return "path"  # path or directory


def _describe_source(package: Mapping[str, Any]) -> str:
    src = package.get("source", {})
    return str(next(iter(src.values()), package["name"]))


def _find(
    by_name: Mapping[str, list[Mapping[str, Any]]], dep: Mapping[str, Any], source: str
) -> Mapping[str, Any]:
    name = canonicalize_name(str(dep["name"]))
    candidates = by_name.get(name, [])
    if "version" in dep:
        candidates = [c for c in candidates if str(c.get("version")) == str(dep["version"])]
    if not candidates:
        raise RequirementsError(
            f"{source}: {name} is a dependency but has no [[package]] entry",
            hint="the lock is incomplete: run `uv lock` again",
        )
    return candidates[0]


def _key(package: Mapping[str, Any]) -> Key:
    return canonicalize_name(str(package["name"])), str(package.get("version", ""))


def _walk(
    start: Sequence[Mapping[str, Any]],
    by_name: Mapping[str, list[Mapping[str, Any]]],
    *,
    environments: Sequence[Environment],
    source: str,
) -> dict[Key, list[Marker | None]]:
    """Every package reachable from `start`, with the markers of the ways it is reached (None: always)."""
    reached: dict[Key, list[Marker | None]] = {}
    seen: set[tuple[Key, frozenset[str], str]] = set()
    queue: deque[tuple[Mapping[str, Any], Marker | None]] = deque((d, None) for d in start)
    while queue:
        dep, via = queue.popleft()
        marker = _and(via, dep.get("marker"), source)
        if marker is not None:
            judged = verdict(marker, environments)
            if judged == "never":
                continue
            if judged == "always":
                marker = None
        package = _find(by_name, dep, source)
        key = _key(package)
        extras = frozenset(canonicalize_name(e) for e in dep.get("extra", []))
        state = (key, extras, str(marker))
        if state in seen or (key, extras, "None") in seen:
            continue
        seen.add(state)
        reached.setdefault(key, []).append(marker)
        queue.extend((d, marker) for d in package.get("dependencies", []))
        optional = package.get("optional-dependencies", {})
        for extra in extras:
            queue.extend((d, marker) for d in optional.get(extra, []))
    return reached


def _and(via: Marker | None, text: object, source: str) -> Marker | None:
    if text is None:
        return via
    try:
        marker = Marker(str(text))
    except InvalidMarker as exc:
        raise RequirementsError(f"{source}: invalid marker {text!r}: {exc}") from exc
    return marker if via is None else via & marker


def _either(markers: Sequence[Marker | None], environments: Sequence[Environment]) -> str | None:
    """One marker for all the ways a package is reached, or None when some way always applies."""
    if any(m is None for m in markers):
        return None
    unique = list(dict.fromkeys(str(m) for m in markers))
    combined = Marker(unique[0])
    for text in unique[1:]:
        combined = combined | Marker(text)
    return None if verdict(combined, environments) == "always" else str(combined)
