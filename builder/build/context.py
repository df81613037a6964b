"""What every build step is handed: the options, the progress display, the build's scratch context.

`step()` names a step for the progress display and turns a file-system failure inside it into that
step's BuildError (the message starts with the step's name).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from builder import manifest
from builder.build import leftovers, lock, minimize, steps
from builder.build.backends import base
from builder.errors import BuildError, ConfigError
from builder.recipe import BYTECODE_MODES, Recipe
from builder.runtimes import Target
from builder.suggest import did_you_mean


class Progress(Protocol):
    def step(self, name: str, description: str) -> AbstractContextManager[None]: ...
    def output(self, line: str) -> None: ...
    def note(self, message: str) -> None: ...


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


@dataclass(frozen=True, kw_only=True)
class BuildResult:
    recipe: str
    target: str
    zip_path: Path | None  # None for a dry run
    manifest: manifest.Manifest | None  # None for a dry run
    cached: bool
    plan: minimize.Plan | None = None
    dry_run: bool = False


@contextmanager
def step(progress: Progress, name: steps.StepName, description: str) -> Iterator[None]:
    """A named step: shown by the progress display; a file-system failure becomes that step's error."""
    with progress.step(name, description):
        try:
            yield
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise BuildError(
                name,
                f"{exc.strerror or exc}{where}",
                hint="check free disk space and permissions of the output folder (--output)",
            ) from exc


def output_dir(options: BuildOptions, recipe: Recipe, target: Target) -> Path:
    return manifest.layer_dir(options.output_root, recipe.name, target.key)


@dataclass(frozen=True, kw_only=True)
class BuildContext:
    locked: lock.Lock
    lock_path: Path
    mode: manifest.BytecodeMode
    key: str
    final: Path
    work: Path
    session: base.Session

    @property
    def layer(self) -> Path:
        return self.work / "layer"

    @property
    def site(self) -> Path:
        return self.layer / "python"

    @property
    def aside(self) -> Path:
        """Where removed files wait until the build succeeds (see minimize.move_aside)."""
        return self.work / "removed"


def check_request(recipe: Recipe, target: Target, options: BuildOptions, progress: Progress) -> None:
    if options.bytecode is not None and options.bytecode not in BYTECODE_MODES:
        raise ConfigError(
            f"unknown bytecode mode {options.bytecode!r}{did_you_mean(options.bytecode, BYTECODE_MODES)}",
            hint=f"use one of {', '.join(BYTECODE_MODES)}",
        )
    try:
        options.output_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use {options.output_root} as the output folder: {exc.strerror}") from exc
    if options.backend not in recipe.backends:
        raise ConfigError(
            f"recipe {recipe.name} does not allow the {options.backend} backend (allowed: {', '.join(recipe.backends)})"
        )
    # A runtime the recipe no longer lists by default (say, one Lambda deprecated) is still built on
    # request while its committed lock exists.
    listed = target.runtime.name in recipe.runtimes
    if target.arch.name not in recipe.architectures or not (listed or recipe.lock_path(target.key).is_file()):
        raise ConfigError(
            f"recipe {recipe.name} does not support {target.key}",
            hint=f"it lists runtimes {', '.join(recipe.runtimes)} and architectures {', '.join(recipe.architectures)}",
        )
    if not listed:
        progress.note(
            f"{target.runtime.name} is not among {recipe.name}'s default runtimes "
            f"({', '.join(recipe.runtimes)}); building it from its lock as asked"
        )
    if target.runtime.is_deprecated(options.today):
        progress.note(
            f"{target.runtime.name} is deprecated since {target.runtime.deprecated}; Lambda blocks creating "
            f"functions on {target.runtime.block_create} and updating them on {target.runtime.block_update}"
        )


@contextmanager
def workspace(options: BuildOptions) -> Iterator[Path]:
    root = options.output_root / ".work"
    leftovers.clear_work(root)  # what killed builds left; never the folder of a running one
    with leftovers.owned_dir(root, "") as work:
        try:
            yield work
        finally:
            if options.keep_work:
                leftovers.keep(work)
            else:
                shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True, kw_only=True)
class FullInstall:
    """What the full install showed before minimizing: the files the smoke test touched, the ELF
    files whose libraries were already missing."""

    touched: frozenset[str]
    missing: frozenset[tuple[str, str]]
