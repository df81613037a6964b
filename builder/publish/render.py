"""Tables for people: the plan (steps and reasons) and the ARNs (rich, CLI only)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from builder.console import console, err_console
from builder.publish.local import LocalLayer
from builder.publish.runner import RegionRun

COLOURS = {"published": "green", "unchanged": "cyan", "planned": "yellow", "failed": "red"}


def warnings(warnings: dict[str, list[str]]) -> None:
    for target, lines in warnings.items():
        for line in lines:
            err_console.print(f"[yellow]warning[/yellow]: {target}: {line}")


def plans(runs: Sequence[RegionRun]) -> None:
    """Every step with its reason, per account region (what --dry-run shows)."""
    for run in runs:
        console.rule(run.label)
        if run.error is not None:
            console.print(f"[red]not planned[/red]: {run.error}")
            continue
        for plan in run.plans:
            console.print(f"[bold]{plan.layer.name}[/bold] ({plan.layer.target})")
            for step in plan.steps:
                console.print(f"  {step.action:<16} {step.reason}")


def results(layers: Sequence[LocalLayer], runs: Sequence[RegionRun], warnings: dict[str, list[str]]) -> None:
    table = Table(title="layer versions", title_justify="left")
    for column in ("account", "region", "layer", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("ARN / error", overflow="fold")  # an ARN is copied whole, never cut
    for run in runs:
        if run.error is not None:
            table.add_row(run.account, run.region, "", "[red]failed[/red]", run.error)
            continue
        for outcome in run.outcomes:
            colour = COLOURS[outcome.status]
            status = f"[{colour}]{outcome.status}[/{colour}]"
            if outcome.added:
                status += f" +{len(outcome.added)} permission{'s' if len(outcome.added) > 1 else ''}"
            detail = outcome.error if outcome.status == "failed" else (outcome.arn or "")
            if outcome.status == "planned":
                detail = ", ".join(step.action for step in outcome.plan.steps)
            table.add_row(run.account, run.region, outcome.plan.layer.name, status, detail or "")
    console.print(table)
    for run in runs:
        for plan in run.plans:
            for grant in plan.extra:
                console.print(
                    f"[yellow]note[/yellow]: {run.label} {plan.layer.name}:{plan.existing.version if plan.existing else '?'}"
                    f" also lets {grant.describe()} use it; not asked for, left as it is"
                )
    for target, lines in warnings.items():
        for line in lines:
            console.print(f"[yellow]warning[/yellow]: {target}: {line}")
