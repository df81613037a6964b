"""Turning results into tables for people and JSON for machines. Nothing here decides anything."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.table import Table

from builder import manifest, units
from builder.build import lock, minimizer
from builder.build.options import BuildResult
from builder.console import console, print_table
from builder.errors import LayerBuilderError
from builder.recipe import SHIPPED, Recipe, source_of
from builder.runtimes import get_target, runtimes
from builder.units import mb as _mb


def _short_path(path: Path | None) -> str:
    """Relative to the working folder when inside it: tables stay readable in narrow terminals."""
    if path is None:
        return ""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def recipes_table(recipes: list[Recipe], folders: list[Path], *, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps([_recipe_dict(r) for r in recipes]))
        return
    if not recipes:
        looked = ", ".join(f"{folder} ({'found' if folder.is_dir() else 'missing'})" for folder in folders)
        console.print(f"no recipes found; looked in {looked}")
        return
    table = Table(title="Recipes")
    for column in ("name", "requirements", "runtimes", "architectures", "bytecode", "source"):
        table.add_column(column)
    for recipe in recipes:
        table.add_row(
            recipe.name,
            ", ".join(recipe.requirements),
            ", ".join(recipe.runtimes),
            ", ".join(recipe.architectures),
            recipe.bytecode,
            _source(recipe),
        )
    print_table(table)


def _source(recipe: Recipe) -> str:
    source = source_of(recipe)
    return source if source == SHIPPED else _short_path(recipe.path)


def _recipe_dict(recipe: Recipe) -> dict[str, Any]:
    return {
        "name": recipe.name,
        "path": str(recipe.path),
        "source": source_of(recipe),
        "description": recipe.description,
        "requirements": list(recipe.requirements),
        "runtimes": list(recipe.runtimes),
        "architectures": list(recipe.architectures),
        "license": recipe.license,
        "headroom_bytes": recipe.headroom_bytes,
        "bytecode": recipe.bytecode,
        "backends": list(recipe.backends),
        "smoke_imports": list(recipe.smoke.imports),
    }


def _lock_state(recipe: Recipe, runtime: str, arch: str) -> tuple[str, dict[str, str]]:
    target = get_target(runtime, arch)
    if not recipe.lock_path(target.key).is_file():
        return "missing", {}
    try:
        locked, _ = lock.load_fresh(recipe, target)
    except LayerBuilderError:
        return "stale", {}
    return "fresh", {p.name: p.version for p in locked.packages if p.requested}


def recipe_detail(recipe: Recipe, *, as_json: bool) -> None:
    # The default runtimes, then any other runtime whose lock is committed (built on request).
    others = [r for r in runtimes() if r not in recipe.runtimes]
    locks = {
        f"{runtime}-{arch}": _lock_state(recipe, runtime, arch)
        for runtime in (*recipe.runtimes, *others)
        for arch in recipe.architectures
        if runtime in recipe.runtimes or recipe.lock_path(f"{runtime}-{arch}").is_file()
    }
    if as_json:
        data = _recipe_dict(recipe) | {"locks": {k: {"state": s, "pins": p} for k, (s, p) in locks.items()}}
        console.print_json(json.dumps(data))
        return
    console.print(f"[bold]{recipe.name}[/bold]: {recipe.description}  ({recipe.path})")
    console.print(f"requirements: {', '.join(recipe.requirements)}")
    console.print(f"license: {recipe.license}")
    console.print(
        f"bytecode: {recipe.bytecode}   headroom: {_mb(recipe.headroom_bytes)} MB   backends: {', '.join(recipe.backends)}"
    )
    table = Table(title="Locks")
    for column in ("target", "state", "pins"):
        table.add_column(column)
    for key, (state, pins) in locks.items():
        colour = {"fresh": "green", "stale": "yellow"}.get(state, "red")
        table.add_row(key, f"[{colour}]{state}[/{colour}]", ", ".join(f"{n} {v}" for n, v in pins.items()))
    print_table(table)


def build_results(
    results: list[BuildResult],
    failures: list[tuple[str, LayerBuilderError]],
    *,
    explain: bool,
    as_json: bool,
) -> None:
    if as_json:
        payload = {
            "layers": [_result_dict(r) for r in results],
            "failures": [
                {"target": key, "error": exc.message, "exit_code": exc.exit_code} for key, exc in failures
            ],
        }
        console.print_json(json.dumps(payload))
        return
    if explain:
        for result in results:
            if result.plan is not None:
                explain_plan(result)
    results = [r for r in results if not r.dry_run]
    if not results:
        return  # dry runs print only their plans; each failure was already reported as an error
    table = Table(title="Layers")
    for column in (
        "recipe",
        "target",
        "unzipped MB",
        "zipped MB",
        "files",
        "bytecode",
        "smoke",
        "from cache",
        "zip",
    ):
        table.add_column(column)
    for result in results:
        m = result.manifest
        assert m is not None  # dry runs were left out above
        smoke = m.verification.smoke.status
        colour = {"passed": "green", "failed": "red"}.get(smoke, "yellow")
        table.add_row(
            result.recipe,
            result.target,
            _mb(m.size.unzipped_bytes),
            _mb(m.size.zipped_bytes),
            str(m.size.file_count),
            f"{m.bytecode.mode} ({m.bytecode.status})",
            f"[{colour}]{smoke}[/{colour}]" + _how(m.verification.smoke.method) + _why_not(m),
            "yes" if result.cached else "no",
            _short_path(result.zip_path),
        )
    for key, _ in failures:
        table.add_row("", key, "", "", "", "", "[red]failed[/red]", "", "(see the error above)")
    # Recipe, target, size, smoke and zip stay; the rest goes first when the terminal is narrow.
    print_table(table, drop=("from cache", "files", "bytecode", "zipped MB"))


def _why_not(m: manifest.Manifest) -> str:
    """A smoke test that did not run says why in the table: its reason's leading clause, such as
    "no Python 3.13 for aarch64 found" (the note printed during the build has the rest)."""
    if m.verification.smoke.status != "not run" or not m.verification.smoke.reason:
        return ""
    return ": " + m.verification.smoke.reason.split(" (", 1)[0].split(";", 1)[0]


def _how(method: str | None) -> str:
    """How the smoke test ran: on this machine, under an emulator, or in the build container."""
    return f" ({method})" if method else ""


def _result_dict(result: BuildResult) -> dict[str, Any]:
    if result.dry_run and result.plan is not None:
        return {
            "target": result.target,
            "dry_run": True,
            "plan": {
                "by_rule": {k: asdict(v) for k, v in result.plan.summary_by_rule().items()},
                "by_package": {k: asdict(v) for k, v in result.plan.summary_by_package().items()},
                "remove": [d.path for d in result.plan.by_action("remove")],
                "strip": [d.path for d in result.plan.by_action("strip")],
                "kept": [asdict(k) for k in result.plan.kept_by_evidence()],
            },
        }
    assert result.manifest is not None
    return {"zip": str(result.zip_path), "cached": result.cached, "manifest": result.manifest.to_json()}


def explain_failed(recipe: str, target: str, plan: minimizer.Plan) -> None:
    """The plan of a build that failed after planning (too large, a smoke test that broke)."""
    _plan_tables(recipe, target, plan)
    console.print(f"{target}: the build failed after this plan; nothing was written")


def explain_plan(result: BuildResult) -> None:
    assert result.plan is not None
    plan = result.plan
    _plan_tables(result.recipe, result.target, plan, summary=lambda: _done(result, plan))
    if result.manifest is not None:
        _sourceless_table(result.manifest.bytecode)


def _done(result: BuildResult, plan: minimizer.Plan) -> None:
    if result.dry_run:
        removed, stripped = len(plan.by_action("remove")), len(plan.by_action("strip"))
        console.print(
            f"dry run: {units.count(removed, 'file')} would be removed and "
            f"{units.count(stripped, 'extension module')} stripped; nothing was written"
        )
    else:
        assert result.manifest is not None
        done = result.manifest.minimize
        console.print(
            f"strip saved {_mb(done.strip_saved_bytes)} MB on {units.count(done.stripped_files, 'extension module')}"
        )


def _sourceless_table(bytecode: manifest.Bytecode) -> None:
    if bytecode.mode != "auto":
        return
    if not bytecode.sourceless:
        console.print("bytecode auto: every package kept its .py sources (the layer fits with them)")
        return
    table = Table(title="bytecode auto: packages that went sourceless so the layer fits")
    for column in ("package", ".py MB dropped", "why"):
        table.add_column(column)
    for row in bytecode.sourceless:
        table.add_row(row.name, _mb(row.source_bytes), row.reason)
    print_table(table)


def _plan_tables(
    recipe: str, target: str, plan: minimizer.Plan, summary: Callable[[], None] | None = None
) -> None:
    table = Table(title=f"Minimize plan for {recipe} {target}: by rule")
    for column in ("rule", "action", "files", "MB"):
        table.add_column(column)
    for rule, row in plan.summary_by_rule().items():
        action = "strip" if rule == "strip" else "remove"
        table.add_row(rule, action, str(row.files), _mb(row.bytes))
    print_table(table)
    if summary is not None:
        summary()
    table = Table(title="by package")
    for column in ("package", "kept MB", "removed MB", "removed files"):
        table.add_column(column)
    for name, totals in plan.summary_by_package().items():
        table.add_row(name, _mb(totals.kept_bytes), _mb(totals.removed_bytes), str(totals.removed_files))
    print_table(table)
    _kept_table(plan)


def _kept_table(plan: minimizer.Plan) -> None:
    kept = plan.kept_by_evidence()
    if not kept:
        return
    table = Table(title="kept although a rule matched: the code reads them")
    for column in ("file", "rule", "kept because"):
        table.add_column(column)
    for row in kept:
        table.add_row(row.path, row.rule, row.reason)
    print_table(table)
