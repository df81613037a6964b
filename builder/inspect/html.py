"""One self-contained HTML page for a layer: treemap, package table, minimization, import time.

The page loads nothing: styles and the script are inline, and a Content-Security-Policy of
`default-src 'none'` (the script allowed by its hash) makes the browser refuse any request, so the
page opens the same from a file on a machine without a network.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape
from typing import Any

from builder import units
from builder.inspect import render
from builder.inspect.inspection import Inspection
from builder.inspect.treemap import SCRIPT
from builder.inspect.zipscan import Listing

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.facts { color: #4a5263; margin: 0 0 10px; } .note { color: #8a5a00; }
section { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; padding: 4px 18px 16px; margin-top: 16px; }
.gauge { height: 14px; background: #e8ebf0; border-radius: 7px; overflow: hidden; display: flex; }
.gauge span { display: block; height: 100%; }
#crumbs { margin: 6px 0; } #crumbs button { font: inherit; margin-right: 4px; border: 1px solid #c9ced8; background: #f3f5f8; border-radius: 4px; padding: 1px 8px; cursor: pointer; }
#crumbs button:disabled { cursor: default; font-weight: 600; background: #fff; color: #1d2330; }
#treemap { width: 100%; height: 520px; background: #fff; }
#treemap text { font-size: 12px; fill: #0d1320; pointer-events: none; }
#treemap text.sub { font-size: 11px; fill: #1d2330; paint-order: stroke; stroke: rgba(255,255,255,0.85); stroke-width: 3px; }
#treemap g.zoom { cursor: zoom-in; } #treemap g:hover > rect:first-of-type { fill-opacity: 0.85; }
table { border-collapse: collapse; width: 100%; } th, td { padding: 3px 8px; border-bottom: 1px solid #eef0f3; text-align: left; }
th { font-weight: 600; color: #4a5263; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bar { width: 40%; } .bar div { height: 12px; border-radius: 2px; display: inline-block; vertical-align: middle; }
.kept { background: #4f8fd6; } .removed { background: #f0b4a8; } .self { background: #9b6bd3; } .size { background: #4f8fd6; }
.legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; border-radius: 2px; }
"""


def page(report: Inspection) -> str:
    """The whole page as one string."""
    script_hash = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    policy = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"
    title = escape(report.source.label)
    body = "\n".join(
        [
            _header(report),
            _treemap_section(),
            _packages(report),
            _minimize(report),
            _import_time(report),
        ]
    )
    tree = json.dumps(tree_of(report.listing, report.source.label), separators=(",", ":"))
    # "</" inside the JSON would end the script element early.
    tree = tree.replace("</", "<\\/")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}: layer-builder inspect</title>\n<style>{STYLE}</style></head>\n"
        f"<body><main>\n{body}\n</main>\n"
        f'<script type="application/json" id="tree">{tree}</script>\n'
        f"<script>{SCRIPT}</script>\n</body></html>\n"
    )


def tree_of(listing: Listing, label: str) -> list[Any]:
    """package -> folder -> file as nested [name, bytes, children or 0], largest first."""
    root: dict[str, Any] = {}
    for entry in listing.entries:
        parts = entry.path[len(entry.site) :].split("/")
        node = root.setdefault(listing.owners[entry.path], {})
        for part in parts[:-1]:
            node = node.setdefault(part + "/", {})
        node[parts[-1]] = entry.size
    return [label, *_pack(root)]


def _pack(node: dict[str, Any]) -> list[Any]:
    children = []
    for name, value in node.items():
        if isinstance(value, dict):
            size, kids = _pack(value)
            children.append([name, size, kids])
        else:
            children.append([name, value, 0])
    children.sort(key=lambda child: (-child[1], child[0]))
    return [sum(child[1] for child in children), children]


def _header(report: Inspection) -> str:
    listing = report.listing
    used = 100 * listing.unzipped_bytes / report.limit_bytes
    note = f'<p class="note">{escape(report.source.note)}</p>' if report.source.note else ""
    return (
        f"<h1>{escape(report.source.label)}</h1>\n"
        f'<p class="facts">{escape(render.describe_source(report))}</p>\n'
        f'<p class="facts"><b>{units.mb(listing.unzipped_bytes)} MB</b> unzipped ({used:.1f}% of Lambda\'s '
        f"{report.limit_bytes:,}-byte limit for function code and all layers; "
        f"{units.mb(report.headroom_bytes)} MB left), {units.mb(listing.archive_bytes)} MB zipped, "
        f"{units.count(listing.file_count, 'file')}</p>\n"
        f'<div class="gauge" title="unzipped size against the limit"><span class="size" style="width:{min(used, 100):.2f}%"></span></div>\n'
        f"{note}"
    )


def _treemap_section() -> str:
    return (
        "<section><h2>Where the bytes are</h2>"
        '<p class="facts">Unzipped bytes, package → folder → file. Click a box to zoom in; the path above goes back out.</p>'
        '<nav id="crumbs"></nav><div id="treemap"></div></section>'
    )


def _bar(value: int, largest: int, kind: str) -> str:
    width = 100 * value / largest if largest > 0 else 0
    return f'<div class="{kind}" style="width:{width:.2f}%"></div>'


def _packages(report: Inspection) -> str:
    packages = report.listing.packages
    largest = packages[0].unzipped_bytes if packages else 0
    rows = "".join(
        f"<tr><td>{escape(p.name)}</td><td>{escape(p.version or '')}</td>"
        f'<td class="n">{units.mb(p.unzipped_bytes)}</td><td class="bar">{_bar(p.unzipped_bytes, largest, "size")}</td>'
        f'<td class="n">{units.mb(p.zipped_bytes)}</td><td class="n">{p.files:,}</td></tr>'
        for p in packages
    )
    return (
        "<section><h2>Packages</h2><table><thead><tr><th>package</th><th>version</th><th>unzipped MB</th>"
        f"<th></th><th>zipped MB</th><th>files</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _minimize(report: Inspection) -> str:
    manifest = report.source.manifest
    if manifest is None:
        return (
            "<section><h2>Minimization</h2><p>No manifest: no record of what the build removed.</p></section>"
        )
    m = manifest.minimize
    largest = max((t.kept_bytes + t.removed_bytes for t in m.by_package.values()), default=0)
    packages = "".join(
        f'<tr><td>{escape(name)}</td><td class="n">{units.mb(t.kept_bytes + t.removed_bytes)}</td>'
        f'<td class="n">{units.mb(t.kept_bytes)}</td>'
        f'<td class="bar">{_bar(t.kept_bytes, largest, "kept")}{_bar(t.removed_bytes, largest, "removed")}</td>'
        f'<td class="n">{units.mb(t.removed_bytes)}</td><td class="n">{t.removed_files:,}</td></tr>'
        for name, t in m.by_package.items()
    )
    rules = "".join(
        f'<tr><td>{escape(rule)}</td><td class="n">{t.files:,}</td><td class="n">{units.mb(t.bytes)}</td></tr>'
        for rule, t in m.by_rule.items()
    )
    return (
        "<section><h2>Minimization: before and after</h2>"
        f'<p class="facts">Removed {units.count(m.removed_files, "file")} ({units.mb(m.removed_bytes)} MB); '
        f"strip {escape(m.strip)}: {units.count(m.stripped_files, 'file')}, {units.mb(m.strip_saved_bytes)} MB saved.</p>"
        '<p class="legend"><span class="kept"></span>kept<span class="removed"></span>removed</p>'
        "<table><thead><tr><th>package</th><th>before MB</th><th>after MB</th><th></th><th>removed MB</th>"
        f"<th>files removed</th></tr></thead><tbody>{packages}</tbody></table>"
        "<h2>By rule</h2><table><thead><tr><th>rule</th><th>files</th><th>MB of the files it touched</th></tr></thead>"
        f"<tbody>{rules}</tbody></table></section>"
    )


def _import_time(report: Inspection) -> str:
    times = report.imports
    if times.status != "measured":
        return f"<section><h2>Import time</h2><p>Not measured: {escape(times.reason)}</p></section>"
    largest = times.modules[0].self_us if times.modules else 0
    modules = "".join(
        f"<tr><td>{escape(m.name)}</td><td>layer</td>"
        f'<td class="n">{render.ms(m.self_us)}</td><td class="bar">{_bar(m.self_us, largest, "self")}</td>'
        f'<td class="n">{render.ms(m.cumulative_us)}</td></tr>'
        for m in times.modules
        if m.in_layer
    )
    count, outside_us = times.outside_layer
    if count:
        modules += (
            f'<tr><td>({count} others)</td><td>standard library</td><td class="n">{render.ms(outside_us)}</td>'
            f'<td class="bar">{_bar(outside_us, largest, "removed")}</td><td></td></tr>'
        )
    top = max((s.us for s in times.steps), default=0)
    steps = "".join(
        f'<tr><td>{escape(s.name)}</td><td class="n">{render.ms(s.us)}</td>'
        f'<td class="bar">{_bar(s.us, top, "self") if not s.error else escape("failed: " + s.error)}</td></tr>'
        for s in times.steps
    )
    return (
        "<section><h2>Import time</h2>"
        f'<p class="facts">The smoke imports take <b>{render.ms(times.total_us)} ms</b> '
        f"(Python start-up {render.ms(times.startup_us)} ms more), {escape(times.reason)}, with "
        f'<span title="{escape(times.interpreter or "")}">{escape(times.python)}</span> on this machine. '
        "Lambda bills this INIT time on every cold start.</p>"
        "<table><thead><tr><th>top-level module</th><th>from</th><th>self ms</th><th></th>"
        f"<th>cumulative ms</th></tr></thead><tbody>{modules}</tbody></table>"
        "<h2>By smoke import, in order</h2>"
        '<p class="facts">What each import adds; 0 when an earlier one had already loaded it.</p>'
        "<table><thead><tr><th>import</th><th>ms added</th><th></th></tr></thead>"
        f"<tbody>{steps}</tbody></table></section>"
    )
