"""Will these layers (and this function code) work together? A pure planner over zip listings.

Lambda extracts the layers into /opt in order, a later layer overwriting an earlier one's files, and
puts the function code in /var/task. Python imports from /var/task first, then
/opt/python/lib/pythonX.Y/site-packages, then /opt/python, and only then the runtime's own packages
(boto3, botocore) (docs.aws.amazon.com/lambda/latest/dg/python-layers.html). The function code and
all layers together must unzip to at most 262,144,000 bytes, and a function takes at most 5 layers
(docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from builder.inspect.elfscan import ElfFile
from builder.inspect.zipscan import Kind, Listing


@dataclass(frozen=True, kw_only=True)
class Part:
    label: str
    kind: Kind
    position: int  # 1.. for layers in the order given; 0 for the function code
    listing: Listing
    runtimes: tuple[str, ...]  # () when unknown
    archs: tuple[str, ...]  # () when unknown
    arch_from: str  # where archs come from: "manifest", "ARN", "ELF files", or "" (unknown)
    elf: tuple[ElfFile, ...] = ()

    @property
    def name(self) -> str:
        return "function code" if self.kind == "function" else f"layer {self.position}"

    @property
    def title(self) -> str:
        return f"{self.name} ({self.label})"


@dataclass(frozen=True, kw_only=True)
class Rules:
    """What the planner checks against, handed in (runtimes.toml, limits.toml, minimize-rules.toml)."""

    unzipped_limit: int
    max_layers: int
    runtime_glibc: Mapping[str, tuple[int, int]]
    runtime_provided: frozenset[str]
    runtime: str | None = None  # the function's runtime, when the user names it
    arch: str | None = None


@dataclass(frozen=True, kw_only=True)
class Copy:
    part: str  # Part.title
    version: str | None
    bytes: int
    files: int


@dataclass(frozen=True, kw_only=True)
class Duplicate:
    package: str
    copies: tuple[Copy, ...]  # in stack order, function code first
    winner: str  # Part.title of the copy Python imports
    why: str
    leftover_files: int  # files of an overwritten copy that stay in /opt beside the winner's


@dataclass(frozen=True, kw_only=True)
class Provided:
    part: str
    package: str
    version: str | None
    bytes: int


@dataclass(frozen=True, kw_only=True)
class GlibcTooNew:
    part: str
    path: str
    needs: tuple[int, int]
    runtime: str
    has: tuple[int, int]


@dataclass(frozen=True, kw_only=True)
class Size:
    part: str
    bytes: int
    largest: str  # its largest package
    largest_bytes: int


@dataclass(frozen=True, kw_only=True)
class StackPlan:
    sizes: tuple[Size, ...]  # function code first, then the layers in order
    total_bytes: int
    limit_bytes: int
    duplicates: tuple[Duplicate, ...]
    overwritten_files: int  # layer files replaced by a later layer's file at the same path
    overwritten_bytes: int
    provided: tuple[Provided, ...]
    runtimes: tuple[str, ...] | None  # in common; None when no part says
    archs: tuple[str, ...] | None
    glibc: tuple[GlibcTooNew, ...]
    problems: tuple[str, ...]  # why the stack cannot work, the first the most basic
    warnings: tuple[str, ...]

    @property
    def headroom_bytes(self) -> int:
        return self.limit_bytes - self.total_bytes

    @property
    def works(self) -> bool:
        return not self.problems


def plan(parts: Sequence[Part], rules: Rules) -> StackPlan:
    layers = [p for p in parts if p.kind == "layer"]
    # Unsafe entries first: Lambda's extraction of such a zip is not something to reason about.
    problems: list[str] = [
        f"{p.title} has an unsafe entry {h.describe()}" for p in parts for h in p.listing.hazards
    ]
    warnings: list[str] = []
    if len(layers) > rules.max_layers:
        problems.append(f"{len(layers)} layers; a Lambda function takes at most {rules.max_layers}")
    sizes = tuple(_size(p) for p in parts)
    total = sum(s.bytes for s in sizes)
    if total > rules.unzipped_limit:
        problems.append(_over_limit(sizes, total, rules.unzipped_limit))
    runtimes = _common(parts, "runtimes", rules.runtime, problems, warnings)
    archs = _common(parts, "archs", rules.arch, problems, warnings)
    problems += _mixed_machines(parts)
    glibc = _glibc(parts, runtimes, rules, problems, warnings)
    duplicates = _duplicates(parts)
    overwritten_files, overwritten_bytes = _overwritten(layers)
    provided = tuple(
        Provided(part=p.title, package=pkg.name, version=pkg.version, bytes=pkg.unzipped_bytes)
        for p in parts
        for pkg in p.listing.packages
        if pkg.name in rules.runtime_provided
    )
    return StackPlan(
        sizes=sizes,
        total_bytes=total,
        limit_bytes=rules.unzipped_limit,
        duplicates=duplicates,
        overwritten_files=overwritten_files,
        overwritten_bytes=overwritten_bytes,
        provided=provided,
        runtimes=runtimes,
        archs=archs,
        glibc=glibc,
        problems=tuple(problems),
        warnings=tuple(warnings),
    )


def _size(part: Part) -> Size:
    top = part.listing.packages[0] if part.listing.packages else None
    return Size(
        part=part.title,
        bytes=part.listing.unzipped_bytes,
        largest=top.name if top else "",
        largest_bytes=top.unzipped_bytes if top else 0,
    )


def _over_limit(sizes: Sequence[Size], total: int, limit: int) -> str:
    biggest = max(sizes, key=lambda s: s.bytes)
    inside = f", most of it {biggest.largest} ({biggest.largest_bytes:,} bytes)" if biggest.largest else ""
    return (
        f"the function code and layers unzip to {total:,} bytes, {total - limit:,} over Lambda's limit of "
        f"{limit:,}; the biggest contributor is {biggest.part}: {biggest.bytes:,} bytes{inside}"
    )


def _common(
    parts: Sequence[Part], what: str, wanted: str | None, problems: list[str], warnings: list[str]
) -> tuple[str, ...] | None:
    """The runtimes (or architectures) every part that says supports, and the user's, if given."""
    noun = "runtime" if what == "runtimes" else "architecture"
    known = [(p.title, tuple(getattr(p, what))) for p in parts if getattr(p, what)]
    unknown = [p.title for p in parts if not getattr(p, what) and p.kind == "layer"]
    if wanted:
        known.append((f"the function ({wanted})", (wanted,)))
    # A part without an architecture has no ELF files (they would tell it): it runs on either.
    if unknown and what == "runtimes":
        warnings.append(
            f"{noun} of {', '.join(unknown)} unknown (no manifest or compatible {what}): not checked"
        )
    if not known:
        return None
    common = set(known[0][1])
    for _, values in known[1:]:
        common &= set(values)
    if not common:
        said = "; ".join(f"{title}: {', '.join(values)}" for title, values in known)
        problems.append(f"no {noun} in common ({said})")
    return tuple(v for v in known[0][1] if v in common)


def _mixed_machines(parts: Sequence[Part]) -> list[str]:
    problems = []
    for part in parts:
        found = sorted({elf.arch for elf in part.elf})
        wrong = [elf for elf in part.elf if part.archs and elf.arch not in part.archs]
        if len(found) > 1:
            problems.append(f"{part.title} mixes ELF files for {' and '.join(found)}")
        elif wrong and part.arch_from != "ELF files":
            problems.append(
                f"{part.title} is for {', '.join(part.archs)} but {wrong[0].path} is built for {wrong[0].arch}"
            )
    return problems


def _glibc(
    parts: Sequence[Part],
    runtimes: tuple[str, ...] | None,
    rules: Rules,
    problems: list[str],
    warnings: list[str],
) -> tuple[GlibcTooNew, ...]:
    """ELF files that need a newer glibc than a candidate runtime has (the common ones, or all when unknown)."""
    candidates = [
        r for r in (runtimes if runtimes is not None else rules.runtime_glibc) if r in rules.runtime_glibc
    ]
    found = tuple(
        GlibcTooNew(part=p.title, path=elf.path, needs=elf.glibc, runtime=r, has=rules.runtime_glibc[r])
        for p in parts
        for elf in p.elf
        for r in candidates
        if elf.glibc is not None and elf.glibc > rules.runtime_glibc[r]
    )
    if not found:
        return ()
    failing = list(dict.fromkeys(item.runtime for item in found))
    usable = [r for r in candidates if r not in failing]
    worst = max(found, key=lambda item: item.needs)
    example = f"{worst.part}: {worst.path} needs glibc {_text(worst.needs)} but {worst.runtime} has {_text(worst.has)}"
    if not usable:
        scope = "any runtime the layers have in common" if runtimes is not None else "any Lambda runtime"
        problems.append(f"ELF files need a newer glibc than {scope} offers ({example})")
    else:
        warnings.append(
            f"ELF files load only on {', '.join(usable)}, not on {', '.join(failing)} ({example})"
        )
    return found


def _duplicates(parts: Sequence[Part]) -> tuple[Duplicate, ...]:
    holders: dict[str, list[Part]] = defaultdict(list)
    for part in parts:
        for package in part.listing.packages:
            if not package.name.endswith("/"):  # a layer's lib/ or bin/ folder is not a package
                holders[package.name].append(part)
    found = []
    for name, owners in holders.items():
        if len(owners) < 2:
            continue
        winner, why = _winner(name, owners)
        found.append(
            Duplicate(
                package=name,
                copies=tuple(_copy(p, name) for p in owners),
                winner=winner.title,
                why=why,
                leftover_files=_leftovers(name, winner, owners),
            )
        )
    return tuple(sorted(found, key=lambda d: d.package))


def _copy(part: Part, name: str) -> Copy:
    package = part.listing.package(name)
    assert package is not None
    return Copy(part=part.title, version=package.version, bytes=package.unzipped_bytes, files=package.files)


def _rank(part: Part, name: str) -> tuple[int, int]:
    """Lower imports first: function code, then site-packages before python/; a later layer overwrites."""
    if part.kind == "function":
        return (0, 0)
    package = part.listing.package(name)
    site = package.site if package else ""
    return (1 if site.startswith("python/lib/") else 2, -part.position)


def _winner(name: str, owners: Sequence[Part]) -> tuple[Part, str]:
    winner = min(owners, key=lambda p: _rank(p, name))
    if winner.kind == "function":
        return winner, "/var/task comes first on sys.path"
    site = winner.listing.package(name)
    in_site_packages = site is not None and site.site.startswith("python/lib/")
    others_elsewhere = any(_rank(p, name)[0] != _rank(winner, name)[0] for p in owners if p is not winner)
    if in_site_packages and others_elsewhere:
        return winner, "python/lib/pythonX.Y/site-packages comes before python/ on sys.path"
    return winner, "later layers are extracted over earlier ones in /opt"


def _leftovers(name: str, winner: Part, owners: Sequence[Part]) -> int:
    """Files of overwritten copies in the winner's folder that the winner does not replace."""
    if winner.kind == "function":
        return 0
    mine = {e.path for e in winner.listing.entries if winner.listing.owners[e.path] == name}
    package = winner.listing.package(name)
    site = package.site if package else ""
    left: set[str] = set()
    for part in owners:
        if part is winner or part.kind == "function":
            continue
        left |= {
            e.path
            for e in part.listing.entries
            if part.listing.owners[e.path] == name and e.site == site and e.path not in mine
        }
    return len(left)


def _overwritten(layers: Sequence[Part]) -> tuple[int, int]:
    """Files that a later layer replaces (same path in /opt), and the bytes of the replaced copies."""
    seen: dict[str, int] = {}
    files = size = 0
    for part in sorted(layers, key=lambda p: p.position):
        for entry in part.listing.entries:
            if entry.path in seen:
                files += 1
                size += seen[entry.path]
            seen[entry.path] = entry.size
    return files, size


def _text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"
