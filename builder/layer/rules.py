"""The minimizer's rules as data: which files of a layer a build may remove, and what it must keep.

Read from data/minimize-rules.toml. The build plans and applies them (build/minimize.py); inspect
reads the same data to tell which packages the runtime provides (inspect/check.py).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from packaging.utils import canonicalize_name

from builder import tomlload


@dataclass(frozen=True, kw_only=True)
class Rule:
    name: str
    why: str
    patterns: tuple[str, ...]
    heuristic: bool = False  # a guess that nothing reads these files: evidence of use beats it

    def matches(self, path: str) -> bool:
        return _compiled(self.patterns).match(path) is not None


@dataclass(frozen=True, kw_only=True)
class RuleSet:
    version: int
    removals: tuple[Rule, ...]
    keep: Rule
    package_keeps: Mapping[str, tuple[str, ...]]
    runtime_provided: frozenset[str]


@cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns) or "(?!)")


@cache
def default_rules() -> RuleSet:
    text = resources.files("builder.data").joinpath("minimize-rules.toml").read_text(encoding="utf-8")
    data = tomlload.loads(text)
    return RuleSet(
        version=int(data["version"]),
        removals=tuple(
            Rule(
                name=row["name"],
                why=row["why"],
                patterns=tuple(row["remove"]),
                heuristic=bool(row.get("heuristic", False)),
            )
            for row in data["rule"]
        ),
        keep=Rule(name="keep", why=data["keep"]["why"], patterns=tuple(data["keep"]["paths"])),
        package_keeps={canonicalize_name(k): tuple(v["keep"]) for k, v in data["packages"].items()},
        runtime_provided=frozenset(canonicalize_name(n) for n in data["runtime_provided"]["packages"]),
    )
