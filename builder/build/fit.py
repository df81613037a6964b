"""Will the layer fit? Its size at its smallest, known before bytecode and smoke tests, and the levers.

Lambda's 262,144,000 bytes count the function and all its layers together, unzipped, so splitting a
layer never helps: what helps is a smaller layer (sourceless bytecode, CPU-only variants of GPU
packages, fewer requirements, more minimize rules) or less headroom for the function's own code.

The smallest layer the tool can make keeps what every rule leaves (the plan's kept files), stripped,
with .py sources replaced by their bytecode. Two numbers stand in for what is not built yet:

- strip saves at most the sections no program header loads (symbols, debug information), which
  `strippable_bytes` reads from the section headers;
- bytecode is larger than its source: on scipy-stack for python3.12, 54,822,069 bytes of .py compile
  to 72,876,927 bytes of pyc (ratio 1.33; numpy 1.41, pandas 1.37, scipy 1.26, python-dateutil 1.09).
  The estimate uses 1.33; failing early uses 1.0 (the .py bytes alone), a lower bound, so a build is
  never stopped for a layer that would have fit.

A pure module but for `strippable_bytes`: it is handed the plan, the lock and the limits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile

from builder.build import lock, minimizer
from builder.errors import SizeLimitError
from builder.units import MB
from builder.units import mb as _mb

PYC_PER_PY = 1.33  # measured on scipy-stack (see above): the estimate shown
PYC_PER_PY_AT_LEAST = 1.0  # the lower bound a build is stopped on
GPU_PREFIX = lock.GPU_PREFIX
SHOWN_PACKAGES = 8


@dataclass(frozen=True, kw_only=True)
class PackageShare:
    name: str
    kept_bytes: int  # what the plan keeps of it, before strip and bytecode
    source_bytes: int  # .py files among them


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """The layer as a plan would make it, before strip and bytecode."""

    stage: str  # what it is known from: "the install" (every rule, no evidence yet) or "the plan"
    kept_bytes: int
    source_bytes: int
    strip_bound: int  # strip saves at most this
    packages: tuple[PackageShare, ...]  # largest first

    def sourceless(self, ratio: float = PYC_PER_PY) -> int:
        """The layer with bytecode only: sources out, their bytecode in."""
        return self.kept_bytes - self.strip_bound - self.source_bytes + round(self.source_bytes * ratio)

    def with_sources(self, ratio: float = PYC_PER_PY) -> int:
        return self.kept_bytes - self.strip_bound + round(self.source_bytes * ratio)

    @property
    def smallest(self) -> int:
        """A lower bound of the smallest layer the tool can make: what a build is stopped on."""
        return self.sourceless(PYC_PER_PY_AT_LEAST)


def estimate(plan: minimizer.Plan, *, strip_bound: int, stage: str) -> Estimate:
    kept: dict[str, int] = defaultdict(int)
    source: dict[str, int] = defaultdict(int)
    for decision in plan.decisions:
        if decision.action == minimizer.REMOVE:
            continue
        name = decision.distribution or "(unowned)"
        kept[name] += decision.size
        if decision.path.endswith(".py"):
            source[name] += decision.size
    packages = tuple(
        PackageShare(name=name, kept_bytes=kept[name], source_bytes=source[name])
        for name in sorted(kept, key=lambda n: (-kept[n], n))
    )
    return Estimate(
        stage=stage,
        kept_bytes=sum(kept.values()),
        source_bytes=sum(source.values()),
        strip_bound=strip_bound,
        packages=packages,
    )


def strippable_bytes(paths: Iterable[Path]) -> int:
    """At most what `strip --strip-unneeded` can take from these files: their sections no segment loads."""
    total = 0
    for path in paths:
        try:
            with path.open("rb") as handle:
                elf = ELFFile(handle)
                total += sum(
                    section["sh_size"]
                    for section in elf.iter_sections()
                    if not section["sh_flags"] & SH_FLAGS.SHF_ALLOC and section["sh_type"] != "SHT_NOBITS"
                )
        except (OSError, ELFError):
            continue
    return total


# ---------------------------------------------------------------- the levers


@dataclass(frozen=True, kw_only=True)
class Levers:
    """What decides whether a layer fits, in numbers."""

    size: int  # the layer (estimated or measured)
    what: str  # how `size` was known
    limit: int  # Lambda's unzipped limit for the function and all its layers
    headroom: int  # the recipe's headroom_mb, in bytes
    sources_left: int  # .py bytes that sourceless bytecode would still drop
    packages: tuple[PackageShare, ...]
    gpu: Mapping[str, int]  # GPU-only distributions in the layer -> their bytes
    cpu_variants: Mapping[str, str]  # a locked distribution -> its CPU-only variant

    @property
    def allowed(self) -> int:
        return self.limit - self.headroom

    @property
    def headroom_that_fits(self) -> int | None:
        """The most headroom_mb with which the layer fits; None when no headroom does."""
        spare = self.limit - self.size
        return spare // MB if spare >= 0 else None

    def table(self) -> str:
        width = max([len(p.name) for p in self.packages[:SHOWN_PACKAGES]] + [24])
        lines = [f"  {'largest packages':<{width}} {'MB':>9} {'.py MB':>8}"]
        for share in self.packages[:SHOWN_PACKAGES]:
            gpu = "  GPU only: Lambda has no GPU" if share.name in self.gpu else ""
            lines.append(
                f"  {share.name:<{width}} {_mb(share.kept_bytes):>9} {_mb(share.source_bytes):>8}{gpu}"
            )
        lines.append("  levers:")
        if self.sources_left:
            lines.append(
                f'  - bytecode = "sourceless": saves {_mb(self.sources_left)} MB of .py sources '
                f"(layer about {_mb(self.size - self.sources_left)} MB)"
            )
        fits = self.headroom_that_fits
        if fits is None:
            lines.append(
                f"  - headroom_mb: no value helps; the layer alone is {_mb(self.size - self.limit)} MB "
                "over Lambda's limit"
            )
        else:
            lines.append(
                f"  - headroom_mb = {fits} (now {self.headroom // MB}): the layer fits with at most "
                f"{fits} MB left for the function's code"
            )
        if self.gpu:
            names = ", ".join(sorted(self.gpu))
            lines.append(f"  - GPU-only distributions ({names}): {_mb(sum(self.gpu.values()))} MB")
        for name, variant in sorted(self.cpu_variants.items()):
            lines.append(f"  - {variant} instead of {name}")
        return "\n".join(lines)

    def hint(self) -> str:
        options = []
        if self.sources_left:
            options.append('set bytecode = "auto" or "sourceless" in [build]')
        if self.gpu or self.cpu_variants:
            options.append(
                "use the CPU-only variants (a recipe may name a CPU-only index: [layer] index_url or "
                "extra_index_urls)"
            )
        fits = self.headroom_that_fits
        if fits is not None and fits * MB < self.headroom:
            options.append(f"lower headroom_mb to {fits} if the function's own code fits in that")
        options.append("drop requirements the function does not import, or add minimize rules")
        return "; ".join(options) + (
            ". Splitting into several layers does not help: the limit counts the function and all "
            "its layers together"
        )


def levers(
    *,
    size: int,
    what: str,
    limit: int,
    headroom: int,
    sources_left: int,
    packages: tuple[PackageShare, ...],
    locked: lock.Lock,
) -> Levers:
    present = {share.name: share.kept_bytes for share in packages}
    gpu = {p.name: present.get(p.name, 0) for p in locked.packages if p.name.startswith(GPU_PREFIX)}
    variants = lock.cpu_variants()
    return Levers(
        size=size,
        what=what,
        limit=limit,
        headroom=headroom,
        sources_left=sources_left,
        packages=packages,
        gpu=gpu,
        cpu_variants={p.name: variants[p.name] for p in locked.packages if p.name in variants},
    )


def too_large(step: str, found: Levers) -> SizeLimitError:
    """The size error: what the layer is against what is allowed, and every lever in numbers."""
    fits = found.headroom_that_fits
    if fits is None:
        verdict = "over Lambda's limit by itself, whatever the headroom"
    else:
        verdict = f"it fits only with headroom_mb = {fits} or less (the recipe has {found.headroom // MB})"
    message = (
        f"the layer is {found.what + ' ' if found.what else ''}{_mb(found.size)} MB unzipped; Lambda allows {found.limit:,} bytes "
        f"({_mb(found.limit)} MB) for a function and all its layers together, less this recipe's "
        f"headroom_mb = {found.headroom // MB}: {_mb(found.allowed)} MB. So {verdict}.\n{found.table()}"
    )
    return SizeLimitError(step, message, hint=found.hint())
