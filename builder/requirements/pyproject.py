"""pyproject.toml: [project] dependencies, optional-dependencies (--extra) and PEP 735 groups (--group).

https://packaging.python.org/en/latest/specifications/pyproject-toml/
https://packaging.python.org/en/latest/specifications/dependency-groups/
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from packaging.dependency_groups import DependencyGroupResolver
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from builder.requirements import direct
from builder.requirements.model import RequirementsError
from builder.suggest import did_you_mean


def requirements(
    data: Mapping[str, Any], *, source: str, extras: Sequence[str] = (), groups: Sequence[str] = ()
) -> list[Requirement]:
    """The project's dependencies, plus the chosen extras and dependency groups, in file order."""
    project = data.get("project")
    found: list[Requirement] = []
    if project is None:
        if extras or not groups:
            raise _no_project(data, source)
    else:
        found += _project(project, source=source, extras=extras)
    found += _groups(data.get("dependency-groups"), source=source, groups=groups)
    for requirement in found:
        if requirement.url:
            raise direct.refuse(source, str(requirement), direct.kind_of_url(requirement.url))
    if not found:
        raise RequirementsError(
            f"{source} lists no dependencies",
            hint="add them to [project] dependencies, or choose extras/groups with --extra/--group",
        )
    return found


def _no_project(data: Mapping[str, Any], source: str) -> RequirementsError:
    if "poetry" in data.get("tool", {}):
        return RequirementsError(
            f"{source} keeps its dependencies in [tool.poetry] (Poetry 1), not [project]",
            hint="pass poetry.lock instead (`layer-builder new NAME --from poetry.lock`), "
            "or `poetry export -o requirements.txt` and pass that",
        )
    return RequirementsError(
        f"{source} has no [project] table",
        hint="add [project] dependencies, or pass the requirements or lock file the project uses",
    )


def _parse(values: object, where: str) -> list[Requirement]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RequirementsError(f"{where} must be a list of requirement strings")
    parsed = []
    for value in values:
        try:
            parsed.append(Requirement(value))
        except InvalidRequirement as exc:
            raise RequirementsError(f"{where}: not a requirement {value!r}: {exc}") from exc
    return parsed


def _project(project: Mapping[str, Any], *, source: str, extras: Sequence[str]) -> list[Requirement]:
    if "dependencies" in project.get("dynamic", []):
        raise RequirementsError(
            f"{source}: [project] dependencies are dynamic: the build backend computes them",
            hint="pass the file the backend reads them from (often requirements.txt), or a lock file "
            "(uv.lock, poetry.lock, pylock.toml)",
        )
    name = canonicalize_name(str(project.get("name", "")))
    found = _parse(project.get("dependencies", []), f"{source}: [project] dependencies")
    optional: dict[str, Any] = {
        canonicalize_name(k): v for k, v in project.get("optional-dependencies", {}).items()
    }
    for extra in extras:
        found += _extra(canonicalize_name(extra), optional, name=name, source=source, seen=())
    # `project[other]` inside the project's own extras means "those extras too" (done above).
    return [r for r in found if not (name and canonicalize_name(r.name) == name)]


def _extra(
    extra: str, optional: Mapping[str, Any], *, name: str, source: str, seen: tuple[str, ...]
) -> list[Requirement]:
    if extra not in optional:
        known = ", ".join(sorted(optional)) or "none"
        raise RequirementsError(
            f"{source} has no optional dependencies named {extra!r}{did_you_mean(extra, optional)}",
            hint=f"its extras: {known}",
        )
    if extra in seen:
        return []
    found = []
    for requirement in _parse(optional[extra], f"{source}: [project.optional-dependencies] {extra}"):
        if name and canonicalize_name(requirement.name) == name:
            for inner in sorted(requirement.extras):
                found += _extra(
                    canonicalize_name(inner), optional, name=name, source=source, seen=(*seen, extra)
                )
        else:
            found.append(requirement)
    return found


def _groups(table: object, *, source: str, groups: Sequence[str]) -> list[Requirement]:
    if not groups:
        return []
    if not isinstance(table, Mapping):
        raise RequirementsError(
            f"{source} has no [dependency-groups] table, so no group {groups[0]!r}",
            hint="define the group under [dependency-groups] (PEP 735), or leave out --group",
        )
    known = {canonicalize_name(k) for k in table}
    found: list[Requirement] = []
    try:
        resolver = DependencyGroupResolver(table)
        for group in groups:
            if canonicalize_name(group) not in known:
                raise RequirementsError(
                    f"{source} has no dependency group {group!r}{did_you_mean(group, known)}",
                    hint=f"its groups: {', '.join(sorted(known))}",
                )
            found += resolver.resolve(group)
    except RequirementsError:
        raise
    except Exception as exc:  # packaging raises ValueError, or an ExceptionGroup of them
        raise RequirementsError(f"{source}: [dependency-groups]: {_messages(exc)}") from exc
    return found


def _messages(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    if inner:
        return "; ".join(_messages(e) for e in inner)
    return str(exc)
