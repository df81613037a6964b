"""What every format's parser returns, and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass

from builder.errors import RecipeError

FORMATS = ("requirements", "pyproject", "uv-lock", "poetry-lock", "pylock")


@dataclass(frozen=True, kw_only=True)
class Found:
    """Requirements for a recipe, read from one source file."""

    requirements: tuple[str, ...]  # PEP 508 strings, in the order the source gave them
    direct: tuple[str, ...]  # canonical names of what the project asks for itself (not pulled in)
    pinned: bool  # every requirement is name==version, taken from a lock file
    notes: tuple[str, ...] = ()  # what was left out or changed, and why
    format: str = "requirements"


class RequirementsError(RecipeError):
    """A requirements source that cannot become a recipe; names the file (and line) and what to do."""


@dataclass(frozen=True, kw_only=True)
class Pin:
    """One package a lock file selects for the default install."""

    name: str  # canonical
    version: str
    marker: str | None = None  # when it applies; None: on every target

    def requirement(self) -> str:
        return f"{self.name}=={self.version}" + (f"; {self.marker}" if self.marker else "")


@dataclass(frozen=True, kw_only=True)
class Selection:
    """What a lock file's parser returns: the pins, the names the project asks for, and notes."""

    pins: tuple[Pin, ...]
    direct: tuple[str, ...]
    notes: tuple[str, ...] = ()
