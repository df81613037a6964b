"""Tables with bars for people, JSON for machines. Nothing here decides anything."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from rich.markup import escape
from rich.table import Table

from builder.console import console, print_table
from builder.inspect.diff import Diff
from builder.inspect.importtime import ImportTimes
from builder.inspect.inspection import Inspection
from builder.inspect.stack import StackPlan
from builder.units import count, mb, size

BAR_WIDTH = 24
BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(value: float, largest: float, width: int = BAR_WIDTH) -> str:
    """A bar of eighths of a character, `width` characters for `largest`."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(8 * width * value / largest))
    return "█" * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")


def ms(us: int) -> str:
    return f"{us / 1000:,.1f}"


# ---------------------------------------------------------------- inspect


def inspection(report: Inspection, *, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(inspection_json(report)))
        return
    console.print(f"[bold]{report.source.label}[/bold]  {describe_source(report)}")
    listing = report.listing
    share = 100 * listing.unzipped_bytes / report.limit_bytes
    console.print(
        f"{listing.unzipped_bytes:,} bytes unzipped ({share:.1f}% of Lambda's {report.limit_bytes:,}; "
        f"{report.headroom_bytes:,} left for the function and other layers), "
        f"{listing.archive_bytes:,} bytes zipped, {count(listing.file_count, 'file')}"
    )
    if report.source.note:
        console.print(f"[yellow]note[/yellow]: {report.source.note}")
    for hazard in listing.hazards:
        console.print(f"[red]unsafe[/red]: {escape(hazard.describe())}")
    _packages(report)
    _minimize(report)
    _import_times(report.imports)


def describe_source(report: Inspection) -> str:
    manifest = report.source.manifest
    if manifest is not None:
        return f"{manifest.runtime} {manifest.arch}, glibc {manifest.glibc}, built by layer-builder {manifest.tool_version}"
    known = " ".join([*report.source.runtimes, *report.source.archs])
    return f"{report.source.kind}: {known or 'runtime and architecture unknown'}"


def _packages(report: Inspection) -> None:
    packages = report.listing.packages
    table = Table(title="packages by unzipped size (MB)", title_justify="left")
    for column, justify in (("package", "left"), ("version", "left"), ("unzipped", "right"), ("", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for column in ("zipped", "ratio", "files"):
        table.add_column(column, justify="right")
    largest = packages[0].unzipped_bytes if packages else 0
    for p in packages:
        ratio = f"{100 * p.zipped_bytes / p.unzipped_bytes:.0f}%" if p.unzipped_bytes else ""
        table.add_row(
            p.name,
            p.version or "",
            mb(p.unzipped_bytes),
            f"[cyan]{bar(p.unzipped_bytes, largest)}[/cyan]",
            mb(p.zipped_bytes),
            ratio,
            f"{p.files:,}",
        )
    print_table(table, drop=("ratio", "files"))


def _minimize(report: Inspection) -> None:
    manifest = report.source.manifest
    if manifest is None:
        console.print("minimize: [dim]no manifest, so no record of what the build removed[/dim]")
        return
    m = manifest.minimize
    console.print(
        f"[bold]minimize[/bold]: removed {count(m.removed_files, 'file')} ({mb(m.removed_bytes)} MB); "
        f"strip {m.strip}: {count(m.stripped_files, 'file')}, {mb(m.strip_saved_bytes)} MB saved"
    )
    if m.by_rule:
        table = Table(title="removed or stripped, by rule (MB of the files it touched)", title_justify="left")
        for column in ("rule", "files", "MB"):
            table.add_column(column, justify="left" if column == "rule" else "right")
        for rule, total in m.by_rule.items():
            table.add_row(rule, f"{total.files:,}", mb(total.bytes))
        print_table(table)
    if m.by_package:
        table = Table(title="before and after minimizing, by package (MB)", title_justify="left")
        for column in ("package", "before", "after", "", "removed"):
            table.add_column(column, justify="left" if column in ("package", "") else "right")
        largest = max(t.kept_bytes + t.removed_bytes for t in m.by_package.values())
        for name, t in m.by_package.items():
            before = t.kept_bytes + t.removed_bytes
            shown = f"[cyan]{bar(t.kept_bytes, largest)}[/cyan][dim]{bar(t.removed_bytes, largest)}[/dim]"
            share = f" ({100 * t.removed_bytes / before:.0f}%)" if before else ""
            table.add_row(name, mb(before), mb(t.kept_bytes), shown, f"{mb(t.removed_bytes)}{share}")
        print_table(table)


def _import_times(times: ImportTimes) -> None:
    if times.status != "measured":
        console.print(f"[bold]import time[/bold]: [yellow]not measured[/yellow]: {times.reason}")
        return
    console.print(
        f"[bold]import time[/bold] of the smoke imports: {ms(times.total_us)} ms "
        f"(Python start-up {ms(times.startup_us)} ms more); {times.interpreter}, {times.reason}"
    )
    table = Table(title="by top-level module (ms)", title_justify="left")
    for column in ("module", "self", "", "cumulative", "from"):
        table.add_column(column, justify="right" if column in ("self", "cumulative") else "left")
    largest = times.modules[0].self_us if times.modules else 0
    shown = [m for m in times.modules if m.in_layer][:15]
    for m in shown:
        where = "layer" if m.in_layer else "standard library"
        table.add_row(
            m.name, ms(m.self_us), f"[magenta]{bar(m.self_us, largest)}[/magenta]", ms(m.cumulative_us), where
        )
    count, outside_us = times.outside_layer
    if count:
        table.add_row(
            f"({count} others)",
            ms(outside_us),
            f"[dim]{bar(outside_us, largest)}[/dim]",
            "",
            "standard library",
        )
    print_table(table)
    steps = Table(title="by smoke import, in order (ms added; 0: already loaded)", title_justify="left")
    for column in ("import", "ms", ""):
        steps.add_column(column, justify="right" if column == "ms" else "left")
    top = max((s.us for s in times.steps), default=0)
    for step in times.steps:
        tail = f"[red]failed[/red]: {step.error}" if step.error else f"[magenta]{bar(step.us, top)}[/magenta]"
        steps.add_row(step.name, ms(step.us), tail)
    print_table(steps)


def inspection_json(report: Inspection) -> dict[str, Any]:
    manifest = report.source.manifest
    listing = report.listing
    return {
        "source": {
            "label": report.source.label,
            "kind": report.source.kind,
            "zip": str(report.source.zip_path),
            "runtimes": list(report.source.runtimes),
            "architectures": list(report.source.archs),
            "note": report.source.note,
        },
        "unzipped_bytes": listing.unzipped_bytes,
        "hazards": [hazard.to_json() for hazard in listing.hazards],
        "zipped_bytes": listing.zipped_bytes,
        "archive_bytes": listing.archive_bytes,
        "files": listing.file_count,
        "limit_bytes": report.limit_bytes,
        "headroom_bytes": report.headroom_bytes,
        "packages": [asdict(p) for p in listing.packages],
        "minimize": asdict(manifest.minimize) if manifest else None,
        "import_time": asdict(report.imports),
    }


# ---------------------------------------------------------------- check


def stack_plan(plan: StackPlan, *, as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(plan_json(plan)))
        return
    if plan.problems:
        console.print(f"[bold red]cannot work[/bold red]: {plan.problems[0]}")
        for problem in plan.problems[1:]:
            console.print(f"[red]also[/red]: {problem}")
    else:
        console.print("[bold green]works together[/bold green]")
    _sizes(plan)
    _duplicates(plan)
    for item in plan.provided:
        console.print(
            f"[yellow]runtime provides[/yellow] {item.package}: {item.part} ships {item.version or 'a copy'} "
            f"({mb(item.bytes)} MB) that shadows the runtime's own"
        )
    runtimes = ", ".join(plan.runtimes) if plan.runtimes is not None else "unknown"
    archs = ", ".join(plan.archs) if plan.archs is not None else "unknown"
    console.print(f"[bold]in common[/bold]: runtimes {runtimes or 'none'}; architectures {archs or 'none'}")
    for warning in plan.warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}")


def _sizes(plan: StackPlan) -> None:
    table = Table(title="unzipped size (MB)", title_justify="left")
    for column in ("part", "MB", "", "largest package"):
        table.add_column(column, justify="right" if column == "MB" else "left")
    for part in plan.sizes:
        colour = "cyan"
        table.add_row(
            part.part,
            mb(part.bytes),
            f"[{colour}]{bar(part.bytes, plan.limit_bytes, 40)}[/{colour}]",
            part.largest,
        )
    over = plan.headroom_bytes < 0
    table.add_row(
        "[bold]total[/bold]",
        f"[bold]{mb(plan.total_bytes)}[/bold]",
        f"[{'red' if over else 'green'}]{plan.total_bytes:,} of {plan.limit_bytes:,} bytes[/]",
        f"[{'red' if over else 'green'}]{'over by' if over else 'headroom'} {abs(plan.headroom_bytes):,} bytes[/]",
    )
    print_table(table)


def _duplicates(plan: StackPlan) -> None:
    if not plan.duplicates:
        console.print("no package appears twice")
        return
    table = Table(title="packages in more than one place", title_justify="left")
    for column in ("package", "copies", "imported from", "why"):
        table.add_column(column)
    for d in plan.duplicates:
        copies = "\n".join(f"{c.part}: {c.version or '?'} ({size(c.bytes)})" for c in d.copies)
        why = d.why + (
            f"; {count(d.leftover_files, 'file')} of the older copy stay beside it"
            if d.leftover_files
            else ""
        )
        table.add_row(d.package, copies, d.winner, why)
    print_table(table)
    if plan.overwritten_files:
        console.print(
            f"{count(plan.overwritten_files, 'file')} ({size(plan.overwritten_bytes)}) in /opt "
            "are overwritten by a later layer"
        )


def plan_json(plan: StackPlan) -> dict[str, Any]:
    data = asdict(plan)
    data["works"] = plan.works
    data["headroom_bytes"] = plan.headroom_bytes
    return data


# ---------------------------------------------------------------- diff


def diff(result: Diff, *, as_json: bool) -> None:
    if as_json:
        data = asdict(result)
        data["bytes_delta"] = result.bytes_delta
        console.print_json(json.dumps(data))
        return
    console.print(f"[bold]{result.old}[/bold] → [bold]{result.new}[/bold]")
    console.print(
        f"unzipped {result.old_bytes:,} → {result.new_bytes:,} bytes ({_signed(result.bytes_delta)}); "
        f"zipped content {result.old_zipped:,} → {result.new_zipped:,} ({_signed(result.new_zipped - result.old_zipped)})"
    )
    if result.import_us_delta is None:
        console.print(f"import time: [yellow]not compared[/yellow] ({result.import_note})")
    else:
        console.print(
            f"import time of {', '.join(result.imports)} (timed in both): "
            f"{_signed_ms(result.import_us_delta)} ms"
        )
    if not result.changes:
        console.print("no package changed")
        return
    table = Table(title="changes, biggest first", title_justify="left")
    for column in ("package", "change", "old", "new", "bytes", "zipped", "import ms"):
        table.add_column(column, justify="right" if column in ("bytes", "zipped", "import ms") else "left")
    for c in result.changes:
        table.add_row(
            c.package,
            c.kind,
            c.old_version or "",
            c.new_version or "",
            _signed(c.bytes_delta),
            _signed(c.zipped_delta),
            _signed_ms(c.import_us_delta) if c.import_us_delta is not None else "",
        )
    print_table(table)


def _signed(value: int) -> str:
    return f"{value:+,}"


def _signed_ms(us: int) -> str:
    return f"{us / 1000:+,.1f}"
