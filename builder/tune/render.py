"""The table a person reads first, and the same report as JSON for scripts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from builder.tune.model import Report, Row

SCHEMA = 1


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def dollars(value: float | None, digits: int) -> str:
    return "-" if value is None else f"${value:,.{digits}f}"


def marks(row: Row) -> str:
    words = []
    if row.cheapest:
        words.append("[green]cheapest[/green]")
    if row.fastest:
        words.append("[cyan]fastest[/cyan]")
    status = row.measurement.status
    if status == "capped":
        words.append("[yellow]capped[/yellow]")
    elif status == "oom":
        words.append("[red]out of memory[/red]")
    elif status != "ok":
        words.append(f"[red]{status}[/red]")
    if row.measurement.errors and status in ("ok", "capped"):
        words.append(f"[red]{row.measurement.errors} raised[/red]")
    return ", ".join(words)


def table(report: Report) -> Table:
    title = f"{report.subject} on {report.runtime} {report.arch}" if report.runtime else report.subject
    grid = Table(title=escape(title), title_justify="left")
    for name in ("MB", "vCPU", "INIT ms", "warm ms", "p90 ms", "max MB", "$/call", "$/1M calls"):
        grid.add_column(name, justify="right")
    grid.add_column("")
    for row in report.rows:
        # A capped size ran with less CPU than Lambda gives it: its times and costs are upper bounds.
        bound = "≥ " if row.measurement.status == "capped" else ""
        measured = row.measurement.status in ("ok", "capped")
        grid.add_row(
            f"{row.memory_mb:,}",
            f"{row.measurement.vcpus:.2f}",
            ms(row.init_ms),
            bound + ms(row.warm_median_ms) if measured else "-",
            bound + ms(row.warm_p90_ms) if measured else "-",
            ms(row.measurement.max_memory_mb),
            bound + dollars(row.cost_per_invocation, 9).rstrip("0") if measured else "-",
            bound + dollars(row.cost_per_million, 2) if measured else "-",
            marks(row),
        )
    return grid


def show(report: Report, console: Console) -> None:
    console.print(table(report))
    console.print(
        "INIT: importing the handler (median of the cold starts); warm ms: median of the warm calls; "
        "max MB: peak memory used; $: a warm call of median duration",
        style="dim",
    )
    for row in report.rows:
        if row.measurement.status != "ok" and row.measurement.note:
            console.print(f"{row.memory_mb:,} MB: {escape(row.measurement.note)}")
    for rec in report.recommendations:
        label = rec.strategy if rec.weight is None else f"{rec.strategy} (weight {rec.weight:g})"
        chosen = "none" if rec.memory_mb is None else f"{rec.memory_mb:,} MB"
        console.print(f"[bold]{label}[/bold]: {chosen} - {escape(rec.why)}")
    price = report.prices
    console.print(
        f"prices: {price.region} {price.date} ({escape(price.source)}): ${price.per_gb_second:.10f}".rstrip(
            "0"
        )
        + f" per GB-s, ${price.request_per_million:g} per million requests, "
        + f"INIT {'billed' if price.init_billed else 'not billed'}",
        style="dim",
    )
    for note in report.notes:
        console.print(f"note: {escape(note)}", style="dim")


def report_json(report: Report) -> dict[str, Any]:
    rows = []
    for row in report.rows:
        m = row.measurement
        rows.append(
            {
                "memory_mb": m.memory_mb,
                "vcpus": round(m.vcpus, 4),
                "status": m.status,
                "note": m.note,
                "init_ms": row.init_ms,
                "warm_median_ms": row.warm_median_ms,
                "warm_p90_ms": row.warm_p90_ms,
                "max_memory_mb": m.max_memory_mb,
                "cost_per_invocation": row.cost_per_invocation,
                "cost_per_million": row.cost_per_million,
                "cold_start_cost": row.cold_start_cost,
                "cheapest": row.cheapest,
                "fastest": row.fastest,
                "errors": m.errors,
                "samples": {
                    "init_ms": list(m.init_ms),
                    "first_ms": list(m.first_ms),
                    "warm_ms": list(m.warm_ms),
                },
            }
        )
    return {
        "schema": SCHEMA,
        "mode": report.mode,
        "subject": report.subject,
        "runtime": report.runtime,
        "arch": report.arch,
        "runs": report.runs,
        "prices": asdict(report.prices),
        "sizes": rows,
        "recommendations": {
            rec.strategy: {"memory_mb": rec.memory_mb, "why": rec.why, "weight": rec.weight}
            for rec in report.recommendations
        },
        "notes": list(report.notes),
    }
