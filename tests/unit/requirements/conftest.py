"""Helpers for the requirements readers: every supported Lambda target's marker environment."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest

from builder.requirements.environments import target_environments
from builder.requirements.model import Found
from builder.requirements.read import Source, parse
from builder.runtimes import architectures, get_target, runtimes

ENVIRONMENTS = target_environments(get_target(r, a) for r in runtimes() for a in architectures())


def parse_text(
    text: str,
    fmt: str,
    *,
    name: str = "requirements.txt",
    files: dict[str, str] | None = None,
    extras: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
) -> Found:
    """Parse `text` as file `name`; `files` are the other files -r/-c may include (relative to /p)."""
    files = {str(PurePath("/p", k)): v for k, v in (files or {}).items()}

    def read(path: PurePath) -> str:
        if str(path) not in files:
            pytest.fail(f"read an unexpected file {path}")
        return files[str(path)]

    source = Source(path=Path("/p") / name, format=fmt, extras=extras, groups=groups)
    return parse(text, fmt=fmt, source=source, environments=ENVIRONMENTS, read=read)
