"""The plan and minimize steps as the pipeline runs them.

Before planning, the smoke test runs on the full install: what it touches is kept (evidence), and the
ELF files whose libraries a plain install lacks too are noted (so they warn instead of failing).
The plan is made twice: once to learn what heuristic rules would remove, then with the names the
distributions' own code mentions. Applying moves files aside, so a failure can be traced to a rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from builder import manifest
from builder.build import elfstrip, evidence, minimizer, smoke, steps
from builder.build.context import BuildContext, FullInstall
from builder.errors import VerificationError
from builder.layer import elfcheck


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


def observe(ctx: BuildContext) -> FullInstall:
    recipe, target = ctx.recipe, ctx.target
    # Without minimizing nothing is removed, so what the smoke test reads needs no protecting.
    if not recipe.minimize.enabled:
        report = smoke.SmokeRun(smoke=manifest.Smoke(status="not run", reason="nothing is minimized"))
    else:
        report = ctx.run_smoke()
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
    return FullInstall(touched=report.touched, missing=evidence.missing_libraries(problems))


def make_plan(ctx: BuildContext, full: FullInstall) -> minimizer.Plan:
    """Plan once to learn what heuristic rules would remove, look for those names in code, plan again."""
    files = minimizer.scan(ctx.site)
    rules = minimizer.default_rules()

    def planned(known: minimizer.Evidence) -> minimizer.Plan:
        return minimizer.plan(
            files,
            rules=rules,
            config=ctx.recipe.minimize,
            requested=ctx.recipe.requirement_names,
            strip_available=ctx.strip_tool is not None,
            evidence=known,
        )

    first = planned(minimizer.Evidence(used=full.touched))
    removed = [d.path for d in first.by_action(minimizer.REMOVE)]
    named = evidence.named_in_code(ctx.site, files, first.heuristic_candidates(rules), removed)
    return planned(minimizer.Evidence(used=full.touched, named=named)) if named else first


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
