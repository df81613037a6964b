"""Tables for people: the plan (steps and reasons) and the ARNs (rich, CLI only)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape

from builder.console import console, err_console
from builder.publish import runner
from builder.publish.local import LocalLayer
from builder.publish.runner import Run
from builder.publish.ssm import Written


def warnings(warnings: dict[str, list[str]]) -> None:
    for target, lines in warnings.items():
        for line in lines:
            err_console.print(f"[yellow]warning[/yellow]: {target}: {line}")


def plans(runs: Sequence[Run]) -> None:
    """Every step with its reason, per account region (what --dry-run shows)."""
    for run in runs:
        console.rule(run.label)
        if run.error is not None:
            console.print(f"[red]not planned[/red]: {run.error.message}")
            continue
        for plan in runner.plans(run):
            console.print(f"[bold]{plan.layer.name}[/bold] ({plan.layer.target})")
            for step in plan.steps:
                console.print(f"  {step.action:<16} {step.reason}")


def results(layers: Sequence[LocalLayer], runs: Sequence[Run], warnings: dict[str, list[str]]) -> None:
    """One plain row per layer and account region: an ARN is copied whole, so it is never wrapped
    or cut to the terminal's width the way a rich table cell would be."""
    rows = [("account", "region", "layer", "status", "ARN / error")]
    for run in runs:
        if run.error is not None:
            rows.append((run.account, run.region, "", "failed", run.error.message))
            continue
        for outcome in runner.outcomes(run):
            status: str = outcome.status
            if outcome.added:
                status += f" +{len(outcome.added)} permission{'s' if len(outcome.added) > 1 else ''}"
            detail = outcome.error if outcome.status == "failed" else (outcome.arn or "")
            if outcome.status == "planned":
                detail = ", ".join(step.action for step in outcome.plan.steps)
            rows.append((run.account, run.region, outcome.plan.layer.name, status, detail or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
        for row in rows
    ]
    console.print("[bold]layer versions[/bold]")
    console.out("\n".join(lines), highlight=False)
    for run in runs:
        for plan in runner.plans(run):
            for grant in plan.extra:
                console.print(
                    f"[yellow]note[/yellow]: {run.label} {plan.layer.name}:{plan.existing.version if plan.existing else '?'}"
                    f" also lets {grant.describe()} use it; not asked for, left as it is"
                )
    for run in runs:
        for outcome in runner.outcomes(run):
            for note in outcome.notes:
                console.print(
                    f"[yellow]warning[/yellow]: {run.label} {outcome.plan.layer.name}: {escape(note)}"
                )
    for target, lines in warnings.items():
        for line in lines:
            console.print(f"[yellow]warning[/yellow]: {target}: {line}")


def parameters(stored: Sequence[Written]) -> None:
    """One plain row per SSM parameter and account region: what it holds now, or why not."""
    if not stored:
        return
    rows = [("account", "region", "parameter", "status", "value / error")]
    for item in stored:
        w = item.write
        detail = item.error if item.status == "failed" else (w.arn or "(the new version)")
        rows.append((w.account, w.region, w.name, item.status, detail or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    console.print("[bold]SSM parameters[/bold]")
    console.out(
        "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4]
            for row in rows
        ),
        highlight=False,
    )
