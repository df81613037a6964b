"""Read a project's requirements from a file: the one module here that touches the filesystem.

Every format ends the same way: constraints narrow the requirements they name, markers are judged
against every supported Lambda target (false on all of them: dropped with a note), and what is left
becomes the recipe's requirements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from builder import tomlload
from builder.requirements import poetrylock, pylock, pyproject, reqfile, uvlock
from builder.requirements.detect import detect, supported
from builder.requirements.environments import Environment, verdict
from builder.requirements.model import FORMATS, Found, RequirementsError, Selection
from builder.suggest import did_you_mean

GROUP_FORMATS = ("pyproject", "uv-lock", "poetry-lock", "pylock")
EXTRA_FORMATS = ("pyproject", "uv-lock", "pylock")


@dataclass(frozen=True, kw_only=True)
class Source:
    """A file to read requirements from and how: the format (None: detect), extras and groups."""

    path: Path
    format: str | None = None
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


def read(source: Source, environments: Sequence[Environment]) -> Found:
    text = _read_text(source.path)
    fmt = source.format or detect(source.path.name, text)
    _check_options(source, fmt)
    return parse(text, fmt=fmt, source=source, environments=environments, read=_read_text)


def parse(
    text: str,
    *,
    fmt: str,
    source: Source,
    environments: Sequence[Environment],
    read: reqfile.Reader,
) -> Found:
    """Requirements from a file's text in format `fmt`; `read` opens -r/-c includes (pure otherwise)."""
    name = source.path.name
    if fmt == "requirements":
        parsed = reqfile.parse(PurePath(source.path), _first(text, PurePath(source.path), read))
        return _settle(
            parsed.requirements,
            parsed.constraints,
            parsed.notes,
            fmt=fmt,
            name=name,
            environments=environments,
        )
    data = _toml(text, name)
    if fmt == "pyproject":
        found = pyproject.requirements(data, source=name, extras=source.extras, groups=source.groups)
        return _settle([(str(r), name) for r in found], [], [], fmt=fmt, name=name, environments=environments)
    selection: Selection
    if fmt == "uv-lock":
        selection = uvlock.select(
            data, source=name, environments=environments, extras=source.extras, groups=source.groups
        )
    elif fmt == "poetry-lock":
        selection = poetrylock.select(data, source=name, environments=environments, groups=source.groups)
    else:
        selection = pylock.select(
            data, source=name, environments=environments, extras=source.extras, groups=source.groups
        )
    if not selection.pins:
        raise RequirementsError(
            f"{name} selects no packages for a Lambda target", hint="check the lock's groups"
        )
    return Found(
        requirements=tuple(p.requirement() for p in selection.pins),
        direct=selection.direct,
        pinned=True,
        notes=selection.notes,
        format=fmt,
    )


def _check_options(source: Source, fmt: str) -> None:
    if fmt not in FORMATS:
        raise RequirementsError(
            f"unknown format {fmt!r}{did_you_mean(fmt, FORMATS)}", hint=f"use one of {supported()}"
        )
    if source.extras and fmt not in EXTRA_FORMATS:
        raise RequirementsError(
            f"--extra applies to {', '.join(EXTRA_FORMATS)}, not {fmt} ({source.path.name})",
            hint="name the extra in the requirement itself: package[extra]"
            if fmt == "requirements"
            else "`poetry export --extras NAME` writes a requirements file with them",
        )
    if source.groups and fmt not in GROUP_FORMATS:
        raise RequirementsError(
            f"--group applies to {', '.join(GROUP_FORMATS)}, not {fmt} ({source.path.name})",
            hint="include the group's file with -r in the requirements file",
        )


def _first(text: str, path: PurePath, read: reqfile.Reader) -> reqfile.Reader:
    """A reader that answers the top file from the text already read."""
    return lambda p: text if p == path else read(p)


def _settle(
    requirements: Sequence[tuple[str, str]],
    constraints: Sequence[tuple[str, str]],
    notes: Sequence[str],
    *,
    fmt: str,
    name: str,
    environments: Sequence[Environment],
) -> Found:
    kept: list[str] = []
    notes = list(notes)
    for text, where in requirements:
        requirement = Requirement(text)
        if requirement.marker is not None and verdict(requirement.marker, environments) == "never":
            notes.append(f"{where}: {text!r} left out: its marker holds on no Lambda target")
            continue
        kept.append(text)
    kept, constraint_notes = _constrain(kept, constraints, environments)
    notes += constraint_notes
    if not kept:
        raise RequirementsError(f"{name} lists no requirements" + (" for a Lambda target" if notes else ""))
    unique = list(dict.fromkeys(kept))
    direct = tuple(dict.fromkeys(canonicalize_name(Requirement(r).name) for r in unique))
    return Found(requirements=tuple(unique), direct=direct, pinned=False, notes=tuple(notes), format=fmt)


def _constrain(
    requirements: list[str], constraints: Sequence[tuple[str, str]], environments: Sequence[Environment]
) -> tuple[list[str], list[str]]:
    """Narrow each requirement by the constraints on its name (-c); a recipe has no place for the rest."""
    notes: list[str] = []
    result = list(requirements)
    for text, where in constraints:
        constraint = Requirement(text)
        if constraint.marker is not None and verdict(constraint.marker, environments) != "always":
            notes.append(f"{where}: constraint {text!r} not applied: it holds on some targets only")
            continue
        name = canonicalize_name(constraint.name)
        hit = False
        for i, current in enumerate(result):
            requirement = Requirement(current)
            if canonicalize_name(requirement.name) == name:
                requirement.specifier &= constraint.specifier
                result[i] = str(requirement)
                hit = True
        if not hit:
            notes.append(
                f"{where}: constraint {text!r} not applied: it names no requirement "
                "(the lock pins dependencies itself)"
            )
    return result, notes


def _read_text(path: PurePath) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RequirementsError(f"cannot read {path}: {exc.strerror}") from exc


def _toml(text: str, name: str) -> dict[str, object]:
    try:
        return tomlload.loads(text)
    except tomlload.TOMLDecodeError as exc:
        raise RequirementsError(f"{name} is not valid TOML: {exc}") from exc
