"""What every step after the install is handed: the build's context (recipe, target, backend and its
session, the lock, the scratch folders), and what the full install showed before minimizing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from builder import manifest
from builder.build import lock, smoke
from builder.build.backends import base
from builder.build.reporting import Progress
from builder.recipe import Recipe
from builder.runtimes import Target


@dataclass(frozen=True, kw_only=True)
class BuildContext:
    recipe: Recipe
    target: Target
    backend: base.Backend
    session: base.Session
    progress: Progress
    locked: lock.Lock
    lock_path: Path
    mode: manifest.BytecodeMode
    key: str
    final: Path
    work: Path
    strip_tool: str | None  # found once per build; None: not stripping (recipe) or no tool for the target

    @property
    def layer(self) -> Path:
        return self.work / "layer"

    @property
    def site(self) -> Path:
        return self.layer / "python"

    @property
    def aside(self) -> Path:
        """Where removed files wait until the build succeeds (see minimizer.move_aside)."""
        return self.work / "removed"

    def run_smoke(self) -> smoke.SmokeRun:
        """The recipe's smoke test on the layer as it stands (the plan and verify steps run it)."""
        return smoke.run_smoke(
            self.site,
            self.recipe.smoke,
            self.session.smoke_python,
            self.session.why_no_smoke,
            scratch=self.work / "smoke",
        )


@dataclass(frozen=True, kw_only=True)
class FullInstall:
    """What the full install showed before minimizing: the files the smoke test touched, the files
    importing each module read (path -> the module), the ELF files whose libraries were already missing."""

    touched: frozenset[str] = frozenset()
    imported: Mapping[str, str] = field(default_factory=dict)
    missing: frozenset[tuple[str, str]] = frozenset()
