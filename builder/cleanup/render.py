"""Tables for people: plans, storage reports and apply results (rich, CLI only)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.table import Table

from builder import units
from builder.cleanup.apply import DONE, NOT_DELETABLE, NOT_STARTED
from builder.cleanup.plan import Kept, RegionPlan
from builder.cleanup.policy import Policy
from builder.cleanup.quota import Holder
from builder.cleanup.reports import Row
from builder.cleanup.runner import RegionPrune, Run, count_items
from builder.console import console, print_table


def plans(runs: Sequence[Run], policy: Policy) -> None:
    console.print(f"[bold]policy[/bold]: {policy.describe()}")
    for result in _regions(runs, missing="not planned"):
        plan = result.plan
        _deletes(plan)
        _kept(plan.keep)
        _problems(result)
        console.print(
            f"[bold]plan[/bold]: delete {count_items(plan.delete)}, "
            f"free {units.size(plan.freed)}; usage after {_usage_after(plan):.1f}%"
        )


def _regions(runs: Sequence[Run], missing: str) -> Iterator[RegionPrune]:
    """Each run under a rule with its label: its usage line and unmatched patterns, then the result
    for the caller to go on with; a run that has none gets one red line, `missing` and why."""
    for run in runs:
        console.rule(run.label)
        if run.result is None:
            console.print(f"[red]{missing}[/red]: {run.error.message if run.error else None}")
            continue
        _usage_line(run.result.plan)
        _unmatched(run.result.plan)
        yield run.result


def _usage_after(plan: RegionPlan) -> float:
    """The percentage of the quota in use once the plan's deletes are done."""
    return 100 * plan.usage_after / plan.usage.limit if plan.usage.limit else 0


def outcomes(runs: Sequence[Run]) -> None:
    """Per region: how many planned versions are gone and, when not all are, exactly which were
    deleted and which were not, and why."""
    for where in runs:
        run = where.result
        if run is None or (not run.outcomes and not run.dropped):
            continue
        outcomes = run.outcomes or ()
        done = [o.item.label for o in outcomes if o.status in DONE]
        planned = len(outcomes) + len(run.dropped)
        console.print(f"[bold]{where.label}[/bold]: {len(done)} of {planned} planned versions deleted")
        if len(done) == planned:
            continue
        if done:
            console.print(f"  [green]deleted[/green] ({len(done)}): {' '.join(done)}")
        for kept in run.dropped:
            why = "; ".join(reason.text for reason in kept.reasons)
            console.print(
                f"  [yellow]not deleted[/yellow] {kept.item.kind} {kept.item.label}: {why} (checked again before deleting)"
            )
        waiting = [o for o in outcomes if o.status == NOT_STARTED]
        if waiting:
            console.print(
                f"  [yellow]not started[/yellow] ({len(waiting)}, {run.halted or waiting[0].detail}): "
                + " ".join(o.item.label for o in waiting)
            )
        for outcome in outcomes:
            if outcome.status not in DONE and outcome.status != NOT_STARTED:
                colour = "yellow" if outcome.status == NOT_DELETABLE else "red"
                console.print(
                    f"  [{colour}]{outcome.status}[/{colour}] {outcome.item.kind} "
                    f"{outcome.item.label}: {outcome.detail}"
                )


def storage(runs: Sequence[Run], policy: Policy) -> None:
    console.print(f"[bold]prune policy[/bold]: {policy.describe()}")
    for result in _regions(runs, missing="not read"):
        plan = result.plan
        console.print(
            f"a prune would free {units.size(plan.freed)} ({units.count(len(plan.delete), 'version')}), "
            f"leaving {_usage_after(plan):.1f}%"
        )
        for holders in result.holders or ():
            if holders:
                _holders(holders)
        if policy.unused_days is not None:
            _unused(plan, policy.unused_days)


def _unused(plan: RegionPlan, days: int) -> None:
    """The functions not invoked in the window, biggest first, and their share of the quota."""
    unused = sorted(plan.unused, key=lambda f: (-f.size, f.name))
    total = sum(f.size for f in unused)
    share = 100 * total / plan.usage.limit if plan.usage.limit else 0
    console.print(
        f"[bold]not invoked in {days} days[/bold]: {units.count(len(unused), 'function')} holding "
        f"{units.size(total)} ({share:.1f}% of the quota)"
    )
    if not unused:
        return
    table = Table(title_justify="left")
    for column in (
        "function",
        "bytes",
        "versions",
        "last modified",
        "runtime",
        "refers to it / why it stays",
    ):
        table.add_column(column, justify="right" if column in ("bytes", "versions") else "left")
    for f in unused:
        why = "; ".join(r.text for r in f.reasons if r.rule != "report-only") or "nothing"
        table.add_row(f.name, units.size(f.size), str(f.versions), f"{f.modified:%Y-%m-%d}", f.runtime, why)
    console.print(table)


def report_rows(rows: Sequence[Row]) -> None:
    """One organization-wide table from the jobs' reports."""
    table = Table(title="code storage from the jobs' reports", title_justify="left")
    for column in ("account", "region", "report", "used", "of quota", "prune frees", "unused functions"):
        table.add_column(column, justify="left" if column in ("account", "region", "report") else "right")
    for row in rows:
        share = f"{100 * row.used / row.limit:.1f}%" if row.limit else "?"
        unused = f"{row.unused_count} ({units.size(row.unused)})"
        if row.error:
            table.add_row(row.account, row.region, row.date, "[red]not read[/red]", row.error[:40], "", "")
        else:
            table.add_row(
                row.account,
                row.region,
                row.date,
                units.size(row.used),
                share,
                units.size(row.freed),
                unused,
            )
    console.print(table)
    used = sum(r.used for r in rows)
    console.print(
        f"{len({r.account for r in rows})} accounts, {len(rows)} account regions: {units.size(used)} used, "
        f"a prune frees {units.size(sum(r.freed for r in rows))}, unused functions hold {units.size(sum(r.unused for r in rows))}"
    )


def _holders(holders: Sequence[Holder]) -> None:
    table = Table(title=f"biggest {holders[0].kind}s (all versions)", title_justify="left")
    table.add_column(holders[0].kind)
    table.add_column("versions", justify="right")
    table.add_column("bytes", justify="right")
    for holder in holders:
        table.add_row(holder.name, str(holder.versions), units.size(holder.size))
    print_table(table)


def _usage_line(plan: RegionPlan) -> None:
    usage = plan.usage
    source = "GetAccountSettings" if usage.measured else "[yellow]computed from listings[/yellow]"
    console.print(
        f"usage {units.size(usage.used)} of {units.size(usage.limit)} ({usage.percent:.1f}%), {source}"
    )
    if not usage.measured:
        console.print(f"  {usage.note}")


def _problems(run: RegionPrune) -> None:
    """One line per read that failed; those the brake never started are counted, not listed."""
    halted = run.halted
    undone = 0
    for problem in run.plan.problems:
        if halted and halted in problem.error:
            undone += 1
            continue
        console.print(
            f"[yellow]could not read[/yellow] {problem.kind} {problem.name}: {problem.error} (kept)"
        )
    if undone:
        console.print(f"[yellow]not read[/yellow] ({undone}): {halted} (what they cover is kept)")


OPTION = {"function": "--functions", "layer": "--layer-names"}  # the option that selects each kind


def _unmatched(plan: RegionPlan) -> None:
    for kind, pattern in plan.unmatched:
        option = OPTION.get(kind, f"--{kind}s")
        console.print(f"[yellow]note[/yellow]: {option} {pattern!r} matched no {kind} in {plan.region}")


def _deletes(plan: RegionPlan) -> None:
    """One plain line per version: a plan can list thousands, which a rich table renders slowly."""
    if not plan.delete:
        console.print("nothing to delete")
        return
    width = max(len("version"), *(len(item.label) for item in plan.delete))
    rows = [f"{'kind':<8}  {'version':<{width}}  {'bytes':>9}  modified"]
    rows += [
        f"{item.kind:<8}  {item.label:<{width}}  {units.size(item.size):>9}  {item.created:%Y-%m-%d}"
        for item in plan.delete
    ]
    console.print(f"[bold]delete[/bold] ({count_items(plan.delete)})")
    console.out("\n".join(rows), highlight=False)


def _kept(kept: Sequence[Kept]) -> None:
    """One row per function or layer and set of reasons, listing the versions they keep."""
    if not kept:
        return
    groups: dict[tuple[str, str, str], list[str]] = {}
    for entry in kept:
        why = "; ".join(reason.text for reason in entry.reasons)
        groups.setdefault((entry.item.kind, entry.item.name, why), []).append(entry.item.version)
    table = Table(title="keep", title_justify="left")
    for column in ("kind", "name", "versions", "why"):
        table.add_column(column)
    for (kind, name, why), versions in groups.items():
        table.add_row(kind, name, " ".join(versions), why)
    print_table(table)
