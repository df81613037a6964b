"""The verify step: ELF checks against the target, then the smoke test on the minimized layer.

A failed smoke test is traced to the minimize rule that broke it: first by the removed files the
workload tried to read, else by putting removed files back rule by rule until it passes.
"""

from __future__ import annotations

from builder import manifest, units
from builder.build import evidence, minimizer, smoke, steps
from builder.build.context import BuildContext, FullInstall
from builder.build.planning import Minimized
from builder.errors import BuildError, VerificationError
from builder.layer import elfcheck


def verify_layer(ctx: BuildContext, full: FullInstall, minimized: Minimized) -> manifest.Verification:
    target, plan = ctx.target, minimized.plan
    found = elfcheck.check_tree(
        ctx.layer, machine=target.arch.machine, glibc=target.runtime.glibc, os_id=target.runtime.os_id
    )
    split = evidence.split_by_baseline(found, full.missing, target.runtime.os_name)
    problems, warnings = split.errors, split.warnings
    for warning in split.notes:
        ctx.progress.note(f"{target.key}: {warning.path} {warning.detail}")
    if split.gpu:
        libraries = sorted({library for needed in split.gpu.values() for library in needed})
        shown = ", ".join(libraries[:4]) + (f" and {len(libraries) - 4} more" if len(libraries) > 4 else "")
        ctx.progress.note(
            f"{target.key}: {units.count(len(split.gpu), 'file')} {'needs' if len(split.gpu) == 1 else 'need'} "
            f"GPU libraries Lambda lacks ({shown}), "
            "as in a plain install: GPU code, kept, failing only if imported (the manifest lists each)"
        )
    if problems:
        listed = "\n".join(f"  {p.path}: {p.detail}" for p in problems[:15])
        raise VerificationError(steps.VERIFY, f"{len(problems)} ELF problem(s) for {target.key}:\n{listed}")
    report = ctx.run_smoke()
    if report.status == "not run":
        ctx.progress.note(f"smoke test not run for {target.key}: {report.smoke.reason}")
    if report.status == "failed" or _touched_gone(ctx, plan, report):
        raise _smoke_failure(ctx, plan, report)
    elf = manifest.ElfCheck(
        status="passed",
        elf_files=minimized.elf_files,
        machine=target.arch.machine,
        glibc=target.runtime.glibc_text,
        warnings=tuple(warnings),
    )
    return manifest.Verification(elf=elf, smoke=report.smoke)


def _smoke_failure(ctx: BuildContext, plan: minimizer.Plan, report: smoke.SmokeRun) -> BuildError:
    """Blame the minimize rule that broke the smoke test, when one did; else report the failure."""
    failure = "\n".join(report.smoke.failures) or report.smoke.reason
    if report.status == "passed":
        failure = "it passed, but read files that are no longer there"
    culprit = _culprit_from_touched(ctx, plan, report) or find_culprit_rule(ctx, plan)
    if culprit is None:
        return VerificationError(steps.VERIFY, f"the smoke test failed for {ctx.target.key}:\n{failure}")
    rule, paths = culprit
    named = [p for p in paths if _mentioned(p, failure)] or paths[:5]
    owner = plan_owner(plan, named[0])
    return VerificationError(
        steps.MINIMIZE,
        f"rule '{rule}' removed {', '.join(named)}, which the smoke test needs:\n{failure}",
        hint=f'keep it in the recipe: [minimize.packages.{owner}] keep = ["{named[0]}"]',
    )


def _touched_gone(
    ctx: BuildContext, plan: minimizer.Plan, report: smoke.SmokeRun
) -> list[minimizer.Decision]:
    """Removals the smoke test still tried to read (a caught FileNotFoundError hides them otherwise)."""
    return [
        d
        for d in plan.by_action(minimizer.REMOVE)
        if d.path in report.touched and not (ctx.site / d.path).exists()
    ]


def _culprit_from_touched(
    ctx: BuildContext, plan: minimizer.Plan, report: smoke.SmokeRun
) -> tuple[str, list[str]] | None:
    gone = _touched_gone(ctx, plan, report)
    if not gone:
        return None
    rule = gone[0].rule
    return rule, [d.path for d in gone if d.rule == rule]


def find_culprit_rule(ctx: BuildContext, plan: minimizer.Plan) -> tuple[str, list[str]] | None:
    """Put removed files back rule by rule until the smoke test passes; the last rule restored broke it."""
    by_rule: dict[str, list[str]] = {}
    for decision in plan.by_action(minimizer.REMOVE):
        by_rule.setdefault(decision.rule, []).append(decision.path)
    for rule, paths in by_rule.items():
        minimizer.restore(ctx.site, ctx.aside, paths)
        if ctx.run_smoke().status == "passed":
            return rule, paths
    return None


def _mentioned(path: str, text: str) -> bool:
    module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return path in text or f"'{module}'" in text


def plan_owner(plan: minimizer.Plan, path: str) -> str:
    return next((d.distribution for d in plan.decisions if d.path == path), path.split("/", 1)[0])
