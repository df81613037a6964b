"""Marker environments of the Lambda targets, and what a marker means across all of them.

A requirement whose marker is false on every target layer-builder supports cannot matter to any
layer and is dropped with a note; one that holds on some targets only keeps its marker, which pip
evaluates again when it locks each target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName

from builder.runtimes import Target

Environment = Mapping[str, str]
Verdict = Literal["always", "never", "some"]


def environment(python: str, machine: str) -> dict[str, str]:
    """The PEP 508 environment of CPython `python` ("3.12") on Linux `machine` ("aarch64")."""
    # Lambda runs a recent patch release; ".0" is what "3.12" means to a marker comparing
    # python_full_version, which uv writes for every python_version bound.
    full = f"{python}.0"
    return {
        "implementation_name": "cpython",
        "implementation_version": full,
        "os_name": "posix",
        "platform_machine": machine,
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": full,
        "python_version": python,
        "sys_platform": "linux",
    }


def target_environments(targets: Iterable[Target]) -> tuple[dict[str, str], ...]:
    return tuple(environment(t.runtime.python, t.arch.machine) for t in targets)


def verdict(
    marker: Marker,
    environments: Sequence[Environment],
    *,
    extra: Mapping[str, str | frozenset[str]] | None = None,
    context: Literal["metadata", "lock_file", "requirement"] = "requirement",
) -> Verdict:
    """Whether a marker holds on every environment, on none, or on some."""
    results = set()
    for env in environments:
        merged: dict[str, str | frozenset[str]] = {**env, **(extra or {})}
        try:
            results.add(marker.evaluate(merged, context))
        except (UndefinedComparison, UndefinedEnvironmentName):
            results.add(True)  # cannot tell: keep it and let pip decide per target
    if results == {True}:
        return "always"
    if results == {False}:
        return "never"
    return "some"
