"""pylock.toml (PEP 751): the packages whose markers select them for the default install.

Read and validated with packaging.pylock. A marker may name the lock's `extras` and
`dependency_groups`; those are evaluated here (default groups, plus --extra/--group) and cannot be
handed on to pip, which knows neither name.
https://packaging.python.org/en/latest/specifications/pylock-toml/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from packaging.pylock import Package, Pylock, PylockValidationError
from packaging.utils import canonicalize_name

from builder.requirements import direct
from builder.requirements.environments import Environment, verdict
from builder.requirements.model import Pin, RequirementsError, Selection

LOCK_ONLY_NAMES = ("extras", "dependency_groups")


def select(
    data: Mapping[str, Any],
    *,
    source: str,
    environments: Sequence[Environment],
    extras: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> Selection:
    try:
        lock = Pylock.from_dict(data)
    except PylockValidationError as exc:
        raise RequirementsError(f"{source}: not a valid pylock file: {exc}") from exc
    chosen_extras = frozenset(canonicalize_name(e) for e in extras)
    declared = {canonicalize_name(g) for g in [*(lock.dependency_groups or ()), *(lock.default_groups or ())]}
    for extra in chosen_extras - set(lock.extras or ()):
        raise RequirementsError(
            f"{source} declares no extra {extra!r}",
            hint=f"its extras: {', '.join(lock.extras or ()) or 'none'}",
        )
    for group in {canonicalize_name(g) for g in groups} - declared:
        raise RequirementsError(
            f"{source} declares no dependency group {group!r}",
            hint=f"its groups: {', '.join(sorted(declared)) or 'none'}",
        )
    chosen_groups = frozenset(canonicalize_name(g) for g in [*(lock.default_groups or ()), *groups])
    context = {"extras": chosen_extras, "dependency_groups": chosen_groups}
    pins, notes = [], []
    for package in lock.packages:
        marker = _marker(package, environments, context, source)
        if marker == "never":
            notes.append(f"{package.name} left out: its marker holds on no Lambda target")
            continue
        _refuse_direct(package, source)
        if package.version is None:
            raise RequirementsError(f"{source}: {package.name} has no version, so it cannot be pinned")
        pins.append(Pin(name=str(package.name), version=str(package.version), marker=marker))
    return Selection(pins=tuple(pins), direct=_roots(lock.packages, pins), notes=tuple(notes))


def _marker(
    package: Package,
    environments: Sequence[Environment],
    context: Mapping[str, frozenset[str]],
    source: str,
) -> str | None:
    if package.marker is None:
        return None
    judged = verdict(package.marker, environments, extra=context, context="lock_file")
    if judged != "some":
        return None if judged == "always" else "never"
    text = str(package.marker)
    if any(name in text for name in LOCK_ONLY_NAMES):
        raise RequirementsError(
            f"{source}: {package.name}'s marker {text!r} depends on the target and on the lock's "
            "extras or groups, which pip cannot evaluate",
            hint="choose the targets with -r/-a so the marker is decided, or export a requirements file",
        )
    return text


def _refuse_direct(package: Package, source: str) -> None:
    where = f"{source}: {package.name}"
    if package.vcs is not None:
        raise direct.refuse(where, str(package.vcs.url or package.vcs.path), "vcs")
    if package.directory is not None:
        kind = "editable" if package.directory.editable else "path"
        raise direct.refuse(where, package.directory.path, kind)
    if package.archive is not None:
        location = package.archive.url or package.archive.path or package.name
        raise direct.refuse(where, str(location), direct.kind_of_url(str(location)))


def _roots(packages: Sequence[Package], pins: Sequence[Pin]) -> tuple[str, ...]:
    chosen = {p.name for p in pins}
    needed = {
        canonicalize_name(str(dep.get("name", "")))
        for package in packages
        if package.name in chosen
        for dep in package.dependencies or ()
    }
    return tuple(p.name for p in pins if p.name not in needed) or tuple(p.name for p in pins)
