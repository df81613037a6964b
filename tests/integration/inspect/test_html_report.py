"""The HTML report opened in real headless Chromium, with no network: the treemap draws, nothing is fetched."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import chromium
from support.png import read as read_png

RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"
WINDOW = (1280, 1400)


def run_chromium(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return chromium.run(url, profile, *extra, window=WINDOW, budget_ms=5000)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, zips: ModuleType) -> dict[str, Any]:
    """A built layer with a large package of several folders, inspected with --html, then opened twice."""
    from typer.testing import CliRunner

    from builder.cli import app

    root = tmp_path_factory.mktemp("html")
    bigpackage: dict[str, bytes | int] = {
        f"bigpackage/part{i}/module{j}.py": 40_000 + 9_000 * i + 500 * j for i in range(6) for j in range(5)
    }
    bigpackage["bigpackage/__init__.py"] = b"import json\n"
    zips.built_layer(
        root / "layers",
        "demo",
        RUNTIME,
        "x86_64",
        zips.dist("bigpackage", "3.0", bigpackage),
        zips.dist(
            "smallpackage", "1.0", {"smallpackage/__init__.py": 30_000, "smallpackage/data.txt": 20_000}
        ),
        imports=("bigpackage", "smallpackage"),
        by_package={"bigpackage": (1_800_000, 700_000, 40)},
    )
    page = root / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "inspect",
            str(root / "layers/demo") + f"/{RUNTIME}-x86_64",
            "--html",
            str(page),
            "--python",
            sys.executable,
            "--runs",
            "1",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    dom = run_chromium(page.as_uri(), root / "profile-dom", "--dump-dom").stdout
    # zoomed into the largest package, then into its folder, through the address as a click sets it
    zoomed = run_chromium(
        page.as_uri() + "#bigpackage/bigpackage%2F", root / "profile-zoom", "--dump-dom"
    ).stdout
    shot = root / "shot.png"
    run_chromium(page.as_uri(), root / "profile-shot", f"--screenshot={shot}")
    return {
        "source": page.read_text(encoding="utf-8"),
        "dom": dom,
        "zoomed": zoomed,
        "png": shot.read_bytes(),
    }


def test_the_page_forbids_every_request_and_names_none(report: dict[str, Any]):
    source = report["source"]
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', source)
    assert policy is not None
    assert policy.group(1).startswith("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-")
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", source, re.IGNORECASE)
    assert not re.search(r"@import|url\(", source)
    assert "<link" not in source


def test_the_treemap_is_drawn_by_the_inline_script(report: dict[str, Any]):
    dom = report["dom"]
    treemap = re.search(r'<div id="treemap" data-box="(\d+),(\d+),(\d+),(\d+)"><svg', dom)
    assert treemap is not None, "the script did not run (a wrong script hash would block it)"
    labels = [html.unescape(t) for t in re.findall(r'<text [^>]*class="name"[^>]*>([^<]*)</text>', dom)]
    # the largest package is labelled in the treemap, with its size
    assert any(label.startswith("bigpackage  ") and label.endswith(" MB") for label in labels), labels


def test_the_screenshot_shows_coloured_boxes_where_the_treemap_is(report: dict[str, Any]):
    box = re.search(r'<div id="treemap" data-box="(\d+),(\d+),(\d+),(\d+)"', report["dom"])
    assert box is not None
    left, top, width, height = (int(v) for v in box.groups())
    assert width > 600 and height > 300
    image = read_png(report["png"])
    assert (image.width, image.height) == WINDOW
    assert top + height <= image.height, "the treemap must be inside the screenshot"
    pixels = [
        image.pixel(x, y)
        for y in range(top + 2, top + height - 2, 4)
        for x in range(left + 2, left + width - 2, 4)
    ]
    coloured = [p for p in pixels if max(p) - min(p) > 30]  # saturated, not white, grey or black
    assert len(coloured) / len(pixels) > 0.8
    assert len({p for p in coloured}) >= 3  # more than one box and its nested levels
    # the page's background (outside the treemap) is not what the treemap is made of
    assert max(image.pixel(2, 2)) - min(image.pixel(2, 2)) < 10


def test_the_tables_the_terminal_shows_are_on_the_page(report: dict[str, Any]):
    dom = report["dom"]
    for heading in ("Packages", "Minimization: before and after", "Import time", "By smoke import, in order"):
        assert f"<h2>{heading}</h2>" in dom
    assert "<td>bigpackage</td><td>3.0</td>" in dom
    assert "<td>smallpackage</td><td>1.0</td>" in dom


def labels(dom: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<text [^>]*class="(?:name|sub)"[^>]*>([^<]*)</text>', dom)]


def test_zooming_in_shows_the_package_folders_and_the_way_back(report: dict[str, Any]):
    crumbs = re.search(r'<nav id="crumbs">(.*?)</nav>', report["zoomed"], re.S)
    assert crumbs is not None
    buttons = [html.unescape(b) for b in re.findall(r"<button[^>]*>([^<]*)</button>", crumbs.group(1))]
    assert [b.rsplit(" (", 1)[0] for b in buttons][1:] == ["bigpackage", "bigpackage/"]
    assert buttons[0].endswith(f"{RUNTIME}-x86_64 (2.0 MB)")  # the whole layer, one click away
    shown = [label.split("  ")[0] for label in labels(report["zoomed"])]
    assert {f"part{i}/" for i in range(6)} <= set(shown)  # the folders inside bigpackage/
    assert "smallpackage" not in shown
