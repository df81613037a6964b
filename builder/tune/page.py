"""One self-contained HTML page: duration and cost against memory in one chart, and the table.

The chart is SVG written here, so the page has no script at all; a Content-Security-Policy of
`default-src 'none'` makes the browser refuse any request, so it opens the same from a file on a
machine without a network (as inspect's report does).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from pathlib import Path

from builder import files
from builder.errors import ConfigError
from builder.tune import render
from builder.tune.model import Report, Row

POLICY = "default-src 'none'; style-src 'unsafe-inline'"
WIDTH, HEIGHT = 860, 380
LEFT, RIGHT, TOP, BOTTOM = 70, 90, 30, 50
DURATION_COLOUR = "#2f6fd0"
COST_COLOUR = "#d2562a"
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
main { max-width: 960px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
section { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; padding: 8px 18px 16px; margin-top: 16px; }
.facts { color: #4a5263; margin: 0; }
table { border-collapse: collapse; width: 100%; } th, td { padding: 3px 8px; border-bottom: 1px solid #eef0f3; text-align: right; }
th { font-weight: 600; color: #4a5263; } td.marks { text-align: left; }
svg text { font-size: 12px; fill: #4a5263; } svg .axis { stroke: #c9ced8; } svg .grid { stroke: #eef0f3; }
.legend span { display: inline-block; width: 14px; height: 4px; margin: 0 6px 3px 14px; vertical-align: middle; }
"""


def write(path: Path, report: Report) -> None:
    try:
        files.write_text_atomic(path, html_page(report))
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from exc


def html_page(report: Report) -> str:
    title = escape(f"{report.subject}: layer-builder tune")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style></head>\n<body><main>\n"
        f"<h1>{escape(report.subject)}</h1>\n"
        f'<p class="facts">{escape(_facts(report))}</p>\n'
        f"<section><h2>Duration and cost against memory</h2>\n{chart(report)}\n{_legend()}</section>\n"
        f"<section><h2>Sizes</h2>\n{_table(report)}</section>\n"
        f"<section><h2>Recommendations</h2>\n{_recommendations(report)}</section>\n"
        "</main></body></html>\n"
    )


def _facts(report: Report) -> str:
    where = "measured on AWS" if report.mode == "aws" else "estimated in local containers"
    price = report.prices
    return (
        f"{report.runtime} {report.arch}, {where}, {report.runs} warm calls per size; prices {price.region} "
        f"{price.date}: ${price.per_gb_second:.10f}".rstrip("0")
        + f" per GB-second, ${price.request_per_million:g} per million requests"
    )


def _legend() -> str:
    return (
        '<p class="legend">'
        f'<span style="background:{DURATION_COLOUR}"></span>warm duration, median (ms, left axis)'
        f'<span style="background:{COST_COLOUR}"></span>cost per million calls ($, right axis)</p>'
    )


def _plotted(report: Report) -> list[Row]:
    return [r for r in report.rows if r.warm_median_ms is not None and r.cost_per_million is not None]


def chart(report: Report) -> str:
    rows = _plotted(report)
    parts = [f'<svg id="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img">']
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>'
    )
    if not rows:
        parts.append(f'<text x="{LEFT + 10}" y="{TOP + 20}">no size was measured</text></svg>')
        return "".join(parts)
    sizes = [r.memory_mb for r in report.rows]
    low, high = math.log2(min(sizes)), math.log2(max(sizes))

    def x(memory: int) -> float:
        return LEFT + (plot_w / 2 if high == low else (math.log2(memory) - low) / (high - low) * plot_w)

    top_ms = max(r.warm_median_ms or 0.0 for r in rows) * 1.1 or 1.0
    top_cost = max(r.cost_per_million or 0.0 for r in rows) * 1.1 or 1.0

    def y(value: float, top: float) -> float:
        return TOP + plot_h - value / top * plot_h

    for i in range(5):  # grid and the two value axes
        level = TOP + plot_h - i * plot_h / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{level:.1f}" x2="{LEFT + plot_w}" y2="{level:.1f}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 8}" y="{level + 4:.1f}" text-anchor="end">{top_ms * i / 4:,.0f}</text>'
        )
        parts.append(f'<text x="{LEFT + plot_w + 8}" y="{level + 4:.1f}">${top_cost * i / 4:,.2f}</text>')
    for memory in sizes:
        parts.append(
            f'<text x="{x(memory):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{memory:,}</text>'
        )
    parts.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle">memory (MB)</text>')
    series: list[tuple[str, str, Callable[[Row], float], float]] = [
        ("duration", DURATION_COLOUR, lambda r: r.warm_median_ms or 0.0, top_ms),
        ("cost", COST_COLOUR, lambda r: r.cost_per_million or 0.0, top_cost),
    ]
    for name, colour, value, top in series:
        points = " ".join(f"{x(r.memory_mb):.1f},{y(value(r), top):.1f}" for r in rows)
        parts.append(
            f'<polyline class="{name}" points="{points}" fill="none" stroke="{colour}" stroke-width="3"/>'
        )
        for r in rows:
            dashed = (
                ' stroke-dasharray="3 2" fill="#fff"'
                if r.measurement.status == "capped"
                else f' fill="{colour}"'
            )
            parts.append(
                f'<circle class="{name}" data-memory="{r.memory_mb}" cx="{x(r.memory_mb):.1f}" '
                f'cy="{y(value(r), top):.1f}" r="5" stroke="{colour}" stroke-width="2"{dashed}/>'
            )
    parts.append("</svg>")
    return "\n".join(parts)


def _table(report: Report) -> str:
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in ("MB", "vCPU", "INIT ms", "warm ms", "p90 ms", "max MB", "$/call", "$/1M calls", "")
    )
    body = []
    for row in report.rows:
        measured = row.measurement.status in ("ok", "capped")
        marks = ", ".join(
            word
            for word, on in (
                ("cheapest", row.cheapest),
                ("fastest", row.fastest),
                ("capped by this machine", row.measurement.status == "capped"),
                ("out of memory", row.measurement.status == "oom"),
                (row.measurement.status, row.measurement.status in ("error", "throttled", "stopped")),
            )
            if on
        )
        cells = [
            f"{row.memory_mb:,}",
            f"{row.measurement.vcpus:.2f}",
            render.ms(row.init_ms),
            render.ms(row.warm_median_ms) if measured else "-",
            render.ms(row.warm_p90_ms) if measured else "-",
            render.ms(row.measurement.max_memory_mb),
            render.dollars(row.cost_per_invocation, 9).rstrip("0") if measured else "-",
            render.dollars(row.cost_per_million, 2) if measured else "-",
        ]
        body.append(
            "<tr>"
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + f'<td class="marks">{escape(marks)}</td></tr>'
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"


def _recommendations(report: Report) -> str:
    items = []
    for rec in report.recommendations:
        chosen = "none" if rec.memory_mb is None else f"{rec.memory_mb:,} MB"
        label = rec.strategy if rec.weight is None else f"{rec.strategy} (weight {rec.weight:g})"
        items.append(f"<li><b>{escape(label)}</b>: {escape(chosen)} ({escape(rec.why)})</li>")
    notes = "".join(f"<li>{escape(note)}</li>" for note in report.notes)
    return f'<ul id="recommendations">{"".join(items)}</ul>' + (f"<ul>{notes}</ul>" if notes else "")
