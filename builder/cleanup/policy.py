"""The prune policy: how many versions to keep, how old a version must be, what to look at.

Keep marks (a user's way to say "never delete this"):

- Functions: the tag ``layer-builder:keep`` on the function (Lambda tags belong to the function,
  not to its versions). A value of ``all``, ``true`` or an empty value keeps every version; a list
  of version numbers (``"3 7"`` or ``"3,7"``) keeps those; any other value keeps every version,
  because a mark we cannot read must not be taken as permission to delete.
- Layers: Lambda layers cannot be tagged, so a layer version is kept when its description contains
  ``[layer-builder:keep]``. A layer version's description is fixed when it is published.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from builder.errors import ConfigError

KEEP_TAG = "layer-builder:keep"
KEEP_MARK = "[layer-builder:keep]"
DEFAULT_KEEP = 3
# A century: older than anything Lambda holds, and far from datetime's limits (year 1), so a typo
# such as --older-than 740000 is refused instead of overflowing.
MAX_OLDER_THAN_DAYS = 36_500

# CloudWatch keeps hourly datapoints for 455 days
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#metrics-retention):
# a longer window would read "not invoked" where the data is simply gone.
MAX_UNUSED_DAYS = 455

_KEEP_ALL_VALUES = frozenset({"", "all", "true", "yes", "*"})


@dataclass(frozen=True, kw_only=True)
class Policy:
    """What a prune may delete. Patterns are shell globs on function or layer names; with no
    pattern at all every function and layer is looked at, with some only the matching ones."""

    keep: int = DEFAULT_KEEP
    older_than_days: int | None = None
    functions: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    target_usage: float | None = None
    # Functions not invoked in this many days are looked at whole (--unused-days/--unused-functions);
    # they are deleted only with delete_unused (prune --unused-functions), else only reported.
    unused_days: int | None = None
    delete_unused: bool = False

    def __post_init__(self) -> None:
        if self.unused_days is not None and not 1 <= self.unused_days <= MAX_UNUSED_DAYS:
            raise ConfigError(
                f"the unused window must be between 1 and {MAX_UNUSED_DAYS} days, got {self.unused_days}",
                hint=f"CloudWatch keeps Lambda's daily invocation counts {MAX_UNUSED_DAYS} days; "
                "e.g. --unused-functions 90",
            )
        if self.keep < 0:
            raise ConfigError(f"--keep must be 0 or more, got {self.keep}")
        if self.older_than_days is not None and not 0 <= self.older_than_days <= MAX_OLDER_THAN_DAYS:
            raise ConfigError(
                f"--older-than must be between 0 and {MAX_OLDER_THAN_DAYS} days, got {self.older_than_days}",
                hint="give the age in days, e.g. --older-than 30",
            )
        if self.keep == 0 and not self.older_than_days:
            # With nothing kept by count and no real age limit (none, or 0 days), a prune would
            # delete a version that was published a second ago and is about to get an alias.
            raise ConfigError(
                "--keep 0 deletes even the newest published version unless --older-than is 1 day or more",
                hint="keep at least one (--keep 1) or add --older-than DAYS (1 or more) to keep recent versions",
            )
        if self.target_usage is not None and not 0 < self.target_usage <= 100:
            raise ConfigError(
                f"--target-usage is a percentage of the quota between 0 and 100, got {self.target_usage}"
            )

    def selects_function(self, name: str) -> bool:
        return self._selects(name, self.functions)

    def selects_layer(self, name: str) -> bool:
        return self._selects(name, self.layers)

    def _selects(self, name: str, patterns: tuple[str, ...]) -> bool:
        if not self.functions and not self.layers:
            return True
        return any(fnmatchcase(name, pattern) for pattern in patterns)

    def unused_since(self, now: dt.datetime) -> dt.datetime | None:
        """The start of the unused window: invocations after it count as use."""
        if self.unused_days is None:
            return None
        return now - dt.timedelta(days=self.unused_days)

    def cutoff(self, now: dt.datetime) -> dt.datetime | None:
        """Versions modified after this moment are too new to delete."""
        if self.older_than_days is None:
            return None
        return now - dt.timedelta(days=self.older_than_days)

    def to_json(self) -> dict[str, object]:
        return {
            "keep": self.keep,
            "older_than_days": self.older_than_days,
            "functions": list(self.functions),
            "layers": list(self.layers),
            "target_usage_percent": self.target_usage,
            "unused_days": self.unused_days,
            "delete_unused": self.delete_unused,
        }

    def describe(self) -> str:
        parts = [f"keep the newest {self.keep}"]
        if self.older_than_days is not None:
            parts.append(f"only versions older than {self.older_than_days} days")
        if self.functions or self.layers:
            names = [f"functions {' '.join(self.functions)}" if self.functions else "no functions"]
            names.append(f"layers {' '.join(self.layers)}" if self.layers else "no layers")
            parts.append(", ".join(names))
        if self.target_usage is not None:
            parts.append(f"only until usage is under {self.target_usage:g}%")
        if self.unused_days is not None:
            verb = "delete" if self.delete_unused else "report"
            parts.append(f"{verb} whole functions not invoked in {self.unused_days} days")
        return "; ".join(parts)


@dataclass(frozen=True)
class TagMark:
    """What a function's keep tag protects: every version, or the listed ones."""

    all_versions: bool
    versions: frozenset[str]
    value: str


def keep_tag(tags: Mapping[str, str]) -> TagMark | None:
    if KEEP_TAG not in tags:
        return None
    value = tags[KEEP_TAG].strip()
    if value.lower() in _KEEP_ALL_VALUES:
        return TagMark(True, frozenset(), value)
    words = [word for word in re.split(r"[\s,]+", value) if word]
    if words and all(word.isdigit() for word in words):
        return TagMark(False, frozenset(str(int(word)) for word in words), value)
    return TagMark(True, frozenset(), value)


def has_keep_mark(description: str) -> bool:
    return KEEP_MARK in description


def patterns(values: Iterable[str], option: str) -> tuple[str, ...]:
    """Name globs from repeated or comma-separated values. A blank pattern is refused: an unset
    variable (`--functions "$UNSET"`) must not turn a narrow prune into one over everything."""
    found: list[str] = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                raise ConfigError(
                    f"{option} got an empty pattern ({value!r})",
                    hint=f"give a name or a glob such as 'api-*'; without {option} every function "
                    "and layer is looked at",
                )
            found.append(part.strip())
    return tuple(found)


def split_list(values: Iterable[str]) -> tuple[str, ...]:
    """Split comma-separated values (environment variables, repeated options) into one tuple."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())
