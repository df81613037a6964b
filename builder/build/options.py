"""What a build is asked for (BuildOptions) and what it answers (BuildResult)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from builder import manifest
from builder.build import minimizer
from builder.build.backends import base


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    output_root: Path
    backend: manifest.Backend = "local"
    python: tuple[str, ...] | None = None  # interpreter command for bytecode and the smoke test
    env: Mapping[str, str] | None = None  # where to discover interpreters; None: this process's
    bytecode: manifest.BytecodeMode | None = None  # override of the recipe's bytecode mode
    use_cache: bool = True
    keep_work: bool = False
    dry_run: bool = False  # install and plan, print, write nothing
    docker: base.DockerSettings = field(default_factory=base.DockerSettings)
    today: dt.date = field(default_factory=dt.date.today)
    # Called with each minimize plan as soon as it exists, so --explain can print it when a later
    # step fails (a layer too large, a smoke test that broke).
    on_plan: Callable[[minimizer.Plan], None] | None = None


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    recipe: str
    target: str
    zip_path: Path | None  # None for a dry run
    manifest: manifest.Manifest | None  # None for a dry run
    cached: bool
    plan: minimizer.Plan | None = None
    dry_run: bool = False
