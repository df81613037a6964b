"""The plan and minimize steps as the pipeline runs them.

Before planning, the smoke test runs on the full install: what it touches is kept (evidence), and the
ELF files whose libraries a plain install lacks too are noted (so they warn instead of failing).
The plan is made twice: once to learn what heuristic rules would remove, then with the names the
distributions' own code mentions. Applying moves files aside, so a failure can be traced to a rule.
"""

from __future__ import annotations

from builder import manifest
from builder.build import elfcheck, elfstrip, evidence, minimizer, smoke, steps
from builder.build.context import BuildContext, FullInstall, Progress
from builder.build.verify import run_smoke
from builder.errors import VerificationError
from builder.recipe import Recipe
from builder.runtimes import Target


def observe(recipe: Recipe, target: Target, ctx: BuildContext, progress: Progress) -> FullInstall:
    # Without minimizing nothing is removed, so what the smoke test reads needs no protecting.
    if not recipe.minimize.enabled:
        report = smoke.SmokeRun(smoke=manifest.Smoke(status="not run", reason="nothing is minimized"))
    else:
        report = run_smoke(recipe, ctx)
    if report.status == "failed":
        failure = "\n".join(report.smoke.failures) or report.smoke.reason
        raise VerificationError(
            steps.PLAN,
            f"the smoke test failed for {target.key} on the full install, before minimizing:\n{failure}",
            hint="no minimize rule is to blame: check the recipe's smoke test and its requirements",
        )
    if report.status == "not run" and recipe.minimize.enabled:
        progress.note(
            f"{target.key}: minimizing without knowing what the smoke test reads ({report.smoke.reason})"
        )
    problems = elfcheck.check_tree(
        ctx.layer, machine=target.arch.machine, glibc=target.runtime.glibc, os_id=target.runtime.os_id
    )
    return FullInstall(touched=report.touched, missing=evidence.missing_libraries(problems))


def make_plan(recipe: Recipe, target: Target, ctx: BuildContext, full: FullInstall) -> minimizer.Plan:
    """Plan once to learn what heuristic rules would remove, look for those names in code, plan again."""
    tool = elfstrip.find_strip_tool(target.arch.machine) if recipe.minimize.strip else None
    files = minimizer.scan(ctx.site)
    rules = minimizer.default_rules()

    def planned(known: minimizer.Evidence) -> minimizer.Plan:
        return minimizer.plan(
            files,
            rules=rules,
            config=recipe.minimize,
            requested=recipe.requirement_names,
            strip_available=tool is not None,
            evidence=known,
        )

    first = planned(minimizer.Evidence(used=full.touched))
    removed = [d.path for d in first.by_action(minimizer.REMOVE)]
    named = evidence.named_in_code(ctx.site, files, first.heuristic_candidates(rules), removed)
    return planned(minimizer.Evidence(used=full.touched, named=named)) if named else first


def apply_plan(
    recipe: Recipe, target: Target, ctx: BuildContext, plan: minimizer.Plan
) -> tuple[minimizer.Applied, list[minimizer.FileEntry]]:
    """Apply the plan; return what was done and the listing of what remains."""
    tool = elfstrip.find_strip_tool(target.arch.machine) if plan.strip_available else None
    applied = minimizer.move_aside(ctx.site, plan.decisions, ctx.aside)
    to_strip = [ctx.site / d.path for d in plan.by_action(minimizer.STRIP)]
    if to_strip and tool is not None:
        result = elfstrip.strip_files(to_strip, tool=tool, machine=target.arch.machine)
        applied.stripped_files = sum(1 for f in result.files if f.status == "stripped")
        applied.strip_saved_bytes = result.bytes_saved
        applied.strip_restored = [
            f"{f.path.relative_to(ctx.site).as_posix()}: {f.reason}" for f in result.restored
        ]
    return applied, minimizer.scan(ctx.site)
