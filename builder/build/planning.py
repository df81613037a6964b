"""The fit, plan and minimize steps as the pipeline runs them.

Right after the install, the plan with every rule and no evidence gives the smallest layer the rules
can make: when even that cannot fit, the build stops there (fit.py says by how much and what helps).
Before planning, the smoke test runs on the full install and every module of it is imported (sweep.py,
at the same time): what they read is kept (evidence), and the ELF files whose libraries a plain
install lacks too are noted (so they warn instead of failing). The plan is made twice: once to learn
what heuristic rules would remove, then with the names the distributions' own code mentions.
Applying moves files aside, so a failure can be traced to a rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from builder import manifest
from builder.build import elfstrip, evidence, fit, minimizer, smoke, steps, sweep
from builder.build.context import BuildContext, FullInstall
from builder.errors import VerificationError
from builder.layer import elfcheck
from builder.runtimes import limits


@dataclass(frozen=True, kw_only=True)
class Minimized:
    """The minimize step's result: the plan it applied, what that did, and what remains."""

    plan: minimizer.Plan
    applied: minimizer.Applied
    remaining: list[minimizer.FileEntry]
    identical_libraries: list[list[str]]

    @property
    def elf_files(self) -> int:
        # Bytecode adds no ELF files: the listing after minimizing still counts them.
        return sum(1 for entry in self.remaining if entry.is_elf)


def observe(ctx: BuildContext, files: Sequence[minimizer.FileEntry]) -> FullInstall:
    recipe, target = ctx.recipe, ctx.target
    # Without minimizing nothing is removed, so what the smoke test reads needs no protecting.
    if not recipe.minimize.enabled:
        report = smoke.SmokeRun(smoke=manifest.Smoke(status="not run", reason="nothing is minimized"))
        swept = sweep.Sweep()
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:  # the sweep beside the smoke test
            swept_later = pool.submit(_sweep, ctx, files)
            report = ctx.run_smoke()
            swept = swept_later.result()
        for note in swept.notes:
            ctx.progress.note(f"{target.key}: import sweep: {note}")
    if report.status == "failed":
        failure = "\n".join(report.smoke.failures) or report.smoke.reason
        raise VerificationError(
            steps.PLAN,
            f"the smoke test failed for {target.key} on the full install, before minimizing:\n{failure}",
            hint="no minimize rule is to blame: check the recipe's smoke test and its requirements",
        )
    if report.status == "not run" and recipe.minimize.enabled:
        ctx.progress.note(
            f"{target.key}: minimizing without knowing what the smoke test reads ({report.smoke.reason})"
        )
    problems = elfcheck.check_tree(
        ctx.layer, machine=target.arch.machine, glibc=target.runtime.glibc, os_id=target.runtime.os_id
    )
    return FullInstall(
        touched=report.touched, imported=swept.touched, missing=evidence.missing_libraries(problems)
    )


def _sweep(ctx: BuildContext, files: Sequence[minimizer.FileEntry]) -> sweep.Sweep:
    try:
        return sweep.sweep(
            ctx.site,
            (entry.path for entry in files),
            ctx.session.smoke_python,
            ctx.session.why_no_smoke,
            scratch=ctx.work / "sweep",
        )
    except Exception as exc:  # never fails the build: the evidence is a bonus over the smoke test's
        return sweep.Sweep(
            notes=(f"failed ({type(exc).__name__}: {exc}); what imports read is not protected",)
        )


def plan_every_rule(ctx: BuildContext, files: Sequence[minimizer.FileEntry]) -> minimizer.Plan:
    """Every rule, no evidence: the smallest layer the rules can make (known right after the install)."""
    return _plan(ctx, files, minimizer.Evidence())


def _plan(
    ctx: BuildContext, files: Sequence[minimizer.FileEntry], known: minimizer.Evidence
) -> minimizer.Plan:
    """The recipe's minimize plan of `files`, with what is known to be read kept."""
    return minimizer.plan(
        files,
        rules=minimizer.default_rules(),
        config=ctx.recipe.minimize,
        requested=ctx.recipe.requirement_names,
        strip_available=ctx.strip_tool is not None,
        evidence=known,
    )


def check_fits(ctx: BuildContext, plan: minimizer.Plan, *, stage: str) -> fit.Estimate:
    """Stop when even the smallest layer this plan allows (stripped, sourceless) is over the limit."""
    stripped = fit.strippable_bytes(ctx.site / d.path for d in plan.by_action(minimizer.STRIP))
    found = fit.estimate(plan, strip_bound=stripped, stage=stage)
    allowed = limits().unzipped_bytes - ctx.recipe.headroom_bytes
    if found.smallest > allowed:
        raise fit.too_large(
            steps.FIT,
            fit.levers(
                size=found.smallest,
                what=f"at its smallest (known from {stage}: every rule, stripped, sourceless) at least",
                limit=limits().unzipped_bytes,
                headroom=ctx.recipe.headroom_bytes,
                sources_left=0,
                packages=found.packages,
                locked=ctx.locked,
            ),
        )
    return found


def make_plan(ctx: BuildContext, full: FullInstall, files: Sequence[minimizer.FileEntry]) -> minimizer.Plan:
    """Plan once to learn what heuristic rules would remove, look for those names in code, plan again."""
    seen = minimizer.Evidence(used=full.touched, imported=full.imported)
    first = _plan(ctx, files, seen)
    removed = [d.path for d in first.by_action(minimizer.REMOVE)]
    candidates = first.heuristic_candidates(minimizer.default_rules())
    named = evidence.named_in_code(ctx.site, files, candidates, removed)
    return _plan(ctx, files, dataclasses.replace(seen, named=named)) if named else first


def apply_plan(ctx: BuildContext, plan: minimizer.Plan) -> Minimized:
    """Apply the plan: move removed files aside, strip, list what remains, find identical libraries."""
    applied = minimizer.move_aside(ctx.site, plan.decisions, ctx.aside)
    to_strip = [ctx.site / d.path for d in plan.by_action(minimizer.STRIP)]
    if to_strip and ctx.strip_tool is not None:
        result = elfstrip.strip_files(to_strip, tool=ctx.strip_tool, machine=ctx.target.arch.machine)
        applied.stripped_files = sum(1 for f in result.files if f.status == "stripped")
        applied.strip_saved_bytes = result.bytes_saved
        applied.strip_restored = [
            f"{f.path.relative_to(ctx.site).as_posix()}: {f.reason}" for f in result.restored
        ]
    remaining = minimizer.scan(ctx.site)
    return Minimized(
        plan=plan,
        applied=applied,
        remaining=remaining,
        identical_libraries=minimizer.identical_libraries(ctx.site, remaining),
    )
