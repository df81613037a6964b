"""The minimizer: decide what happens to each file of a staged layer (plan), then do it (apply).

Planning is pure: it sees a file listing and the rules, touches nothing, and can be printed as
a dry run. Applying moves removed files aside (so a failed smoke test can be traced back to the
rule that broke it) and strips extension modules. Rules live in data/minimize-rules.toml plus the
recipe's [minimize] section; a keep always beats a remove, and evidence that a file is read (the
smoke test touched it, importing a module of the full install read it, its distribution's code
names it) beats a heuristic rule.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.utils import canonicalize_name

from builder.build.elfstrip import is_grafted_library
from builder.layer import distinfo
from builder.layer.elfcheck import is_elf, may_be_elf

# The rule types and data live in builder.layer.rules; named here too, as the planner's vocabulary.
from builder.layer.rules import Rule as Rule
from builder.layer.rules import RuleSet as RuleSet
from builder.layer.rules import default_rules as default_rules
from builder.manifest import KeptFile, PackageTotal, RuleTotal
from builder.recipe import MinimizeConfig

Action = Literal["keep", "remove", "strip"]
KEEP: Action = "keep"
REMOVE: Action = "remove"
STRIP: Action = "strip"


@dataclass(frozen=True, kw_only=True)
class FileEntry:
    path: str  # posix, relative to python/
    size: int
    distribution: str  # canonical name of the distribution that installed it ("" if unknown)
    is_elf: bool


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What is known to be read, gathered from the full install before planning (build/evidence.py)."""

    used: frozenset[str] = frozenset()  # paths (relative to python/) the smoke test opened or imported
    imported: Mapping[str, str] = field(default_factory=dict)  # path -> the module whose import read it
    named: Mapping[str, str] = field(default_factory=dict)  # path -> a file of its distribution naming it


USED_BY_SMOKE = "used by the smoke test"
USED_BY_IMPORTING = "used by importing"


@dataclass(frozen=True, kw_only=True)
class Decision:
    path: str
    action: Action
    rule: str
    size: int
    distribution: str
    overruled: str = ""  # the heuristic rule that would have removed a kept file
    reason: str = ""  # why evidence kept it


@dataclass(frozen=True, kw_only=True)
class Plan:
    decisions: tuple[Decision, ...]
    strip_available: bool = True

    def by_action(self, action: Action) -> list[Decision]:
        return [d for d in self.decisions if d.action == action]

    def removed_bytes(self) -> int:
        return sum(d.size for d in self.by_action(REMOVE))

    def kept_by_evidence(self) -> tuple[KeptFile, ...]:
        """Files a heuristic rule matched but evidence of use kept, with the rule and the evidence."""
        return tuple(
            KeptFile(path=d.path, rule=d.overruled, reason=d.reason) for d in self.decisions if d.overruled
        )

    def heuristic_candidates(self, rules: RuleSet) -> list[Decision]:
        """Removals by heuristic rules: the files worth searching their distribution's code for."""
        heuristic = {rule.name for rule in rules.removals if rule.heuristic}
        return [d for d in self.by_action(REMOVE) if d.rule in heuristic]

    def summary_by_rule(self) -> dict[str, RuleTotal]:
        """For each rule that removed or stripped something: files and bytes it affects."""
        files: dict[str, int] = defaultdict(int)
        sizes: dict[str, int] = defaultdict(int)
        for decision in self.decisions:
            if decision.action != KEEP:
                files[decision.rule] += 1
                sizes[decision.rule] += decision.size
        ranked = sorted(files, key=lambda rule: -sizes[rule])
        return {rule: RuleTotal(files=files[rule], bytes=sizes[rule]) for rule in ranked}

    def summary_by_package(self) -> dict[str, PackageTotal]:
        kept: dict[str, int] = defaultdict(int)
        removed: dict[str, int] = defaultdict(int)
        removed_files: dict[str, int] = defaultdict(int)
        for decision in self.decisions:
            name = decision.distribution or "(unowned)"
            if decision.action == REMOVE:
                removed[name] += decision.size
                removed_files[name] += 1
            else:
                kept[name] += decision.size
        ranked = sorted(kept.keys() | removed.keys(), key=lambda name: -(kept[name] + removed[name]))
        return {
            name: PackageTotal(
                kept_bytes=kept[name], removed_bytes=removed[name], removed_files=removed_files[name]
            )
            for name in ranked
        }


# ---------------------------------------------------------------- planning (pure)


@dataclass(frozen=True, kw_only=True)
class _Effective:
    keeps: tuple[tuple[str, Rule], ...]  # (rule label, rule)
    removals: tuple[Rule, ...]
    drop_distributions: frozenset[str]


def _effective(rules: RuleSet, config: MinimizeConfig, requested: frozenset[str]) -> _Effective:
    keeps: list[tuple[str, Rule]] = [("keep:dist-info", rules.keep)]
    if config.keep:
        keeps.append(("keep:recipe", Rule(name="keep:recipe", why="recipe keep-list", patterns=config.keep)))
    package_keeps: dict[str, list[str]] = defaultdict(list)
    for name, default_keeps in rules.package_keeps.items():
        package_keeps[name] += default_keeps
    for name, package_rules in config.packages.items():
        package_keeps[name] += package_rules.keep
    for name, patterns in sorted(package_keeps.items()):
        label = f"keep:{name}"
        keeps.append((label, Rule(name=label, why=f"{name} keep-list", patterns=tuple(patterns))))
    removals = list(rules.removals)
    if config.remove:
        removals.append(Rule(name="recipe", why="the recipe's remove-list", patterns=config.remove))
    for name, package_rules in sorted(config.packages.items()):
        if package_rules.remove:
            removals.append(
                Rule(name=f"recipe:{name}", why=f"{name} remove-list", patterns=package_rules.remove)
            )
    drop = rules.runtime_provided - requested if config.drop_runtime_provided else frozenset()
    return _Effective(keeps=tuple(keeps), removals=tuple(removals), drop_distributions=frozenset(drop))


def plan(
    files: Sequence[FileEntry],
    *,
    rules: RuleSet,
    config: MinimizeConfig,
    requested: frozenset[str],
    strip_available: bool,
    evidence: Evidence | None = None,
) -> Plan:
    """Decide keep/remove/strip for every file. `requested` are the recipe's own requirement names."""
    if not config.enabled:
        return Plan(
            decisions=tuple(
                Decision(path=f.path, action=KEEP, rule="disabled", size=f.size, distribution=f.distribution)
                for f in files
            ),
            strip_available=strip_available,
        )
    effective = _effective(rules, config, requested)
    known = evidence or Evidence()
    decisions = [_decide(entry, effective, known, config.strip and strip_available) for entry in files]
    return Plan(decisions=tuple(decisions), strip_available=strip_available)


def _decide(entry: FileEntry, effective: _Effective, evidence: Evidence, strip: bool) -> Decision:
    def decision(action: Action, rule: str, overruled: str = "", reason: str = "") -> Decision:
        return Decision(
            path=entry.path,
            action=action,
            rule=rule,
            size=entry.size,
            distribution=entry.distribution,
            overruled=overruled,
            reason=reason,
        )

    for label, rule in effective.keeps:
        if rule.matches(entry.path):
            return decision(KEEP, label)
    if entry.distribution in effective.drop_distributions:
        return decision(REMOVE, "runtime-provided")
    for rule in effective.removals:
        if rule.matches(entry.path):
            why = _evidence_of_use(entry.path, evidence) if rule.heuristic else ""
            return decision(KEEP, "evidence", rule.name, why) if why else decision(REMOVE, rule.name)
    if strip and entry.is_elf and not is_grafted_library(entry.path):
        return decision(STRIP, "strip")
    return decision(KEEP, "default")


def _evidence_of_use(path: str, evidence: Evidence) -> str:
    if path in evidence.used:
        return USED_BY_SMOKE
    if path in evidence.imported:
        return f"{USED_BY_IMPORTING} {evidence.imported[path]}"
    if path in evidence.named:
        return f"named in {evidence.named[path]}"
    return ""


# ---------------------------------------------------------------- reading the staged tree


def scan(site: Path) -> list[FileEntry]:
    """List the staged tree with each file's owning distribution (from the wheels' RECORD files)."""
    owners = record_owners(site)
    entries = []
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(site).as_posix()
        entries.append(
            FileEntry(
                path=relative,
                size=path.stat().st_size,
                distribution=owners.get(relative, _guess_owner(relative)),
                is_elf=_is_elf(path),
            )
        )
    return entries


def record_owners(site: Path) -> dict[str, str]:
    owners: dict[str, str] = {}
    for record in site.glob("*.dist-info/RECORD"):
        owner = distinfo.distribution(record.parent.name)
        for name in distinfo.record_paths(record.read_text(encoding="utf-8", errors="replace")):
            owners[name] = owner
    return owners


def _guess_owner(relative: str) -> str:
    top = relative.split("/", 1)[0]
    return canonicalize_name(top.split("-", 1)[0].removesuffix(".libs")) if not top.endswith(".py") else ""


def _is_elf(path: Path) -> bool:
    return may_be_elf(path.name) and is_elf(path)


# ---------------------------------------------------------------- applying


@dataclass(kw_only=True)
class Applied:
    removed_files: int = 0
    removed_bytes: int = 0
    stripped_files: int = 0
    strip_saved_bytes: int = 0
    strip_restored: list[str] = field(default_factory=list)  # files strip broke, put back unstripped


def move_aside(site: Path, decisions: Iterable[Decision], aside: Path) -> Applied:
    """Move every removed file to `aside` (same layout), so a failed check can restore it."""
    applied = Applied()
    for decision in decisions:
        if decision.action != REMOVE:
            continue
        source = site / decision.path
        target = aside / decision.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        applied.removed_files += 1
        applied.removed_bytes += decision.size
    _prune_empty_dirs(site)
    return applied


def restore(site: Path, aside: Path, paths: Iterable[str]) -> None:
    for relative in paths:
        source = aside / relative
        if source.exists():
            (site / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, site / relative)


def _prune_empty_dirs(root: Path) -> None:
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()


def identical_libraries(site: Path, files: Sequence[FileEntry]) -> list[list[str]]:
    """Groups of byte-identical ELF files (e.g. the same libgfortran vendored by two packages).

    Reported, not deduplicated: each copy is loaded by its own RPATH and sharing them would need
    rewriting RPATHs, which we do not do without proof the result loads.
    """
    import hashlib

    by_size: dict[int, list[str]] = defaultdict(list)
    for entry in files:
        if entry.is_elf:
            by_size[entry.size].append(entry.path)
    groups: dict[str, list[str]] = defaultdict(list)
    for paths in by_size.values():
        if len(paths) < 2:
            continue
        for relative in paths:
            groups[hashlib.sha256((site / relative).read_bytes()).hexdigest()].append(relative)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)
