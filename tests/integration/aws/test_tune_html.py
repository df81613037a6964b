"""`tune --html` opened in real headless Chromium, with no network: the chart draws, nothing is fetched."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from support import chromium, png

pytestmark = pytest.mark.aws

WINDOW = (1100, 1200)


def run_chromium(url: str, profile: Path, *extra: str) -> str:
    return chromium.run(url, profile, *extra, window=WINDOW, budget_ms=3000).stdout


@pytest.fixture
def page(cli: Any, seed: Any, tmp_path: Path) -> dict[str, Any]:
    seed.function("charted", 1)
    target = tmp_path / "tune.html"
    result = cli(
        "tune", "--function", "charted", "--region", "us-east-1", "--memory", "128,256,512,1024,2048",
        "--runs", "2", "--html", str(target),
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    dom = run_chromium(target.as_uri(), tmp_path / "profile-dom", "--dump-dom")
    shot = tmp_path / "shot.png"
    run_chromium(target.as_uri(), tmp_path / "profile-shot", f"--screenshot={shot}")
    return {"source": target.read_text(encoding="utf-8"), "dom": dom, "png": shot.read_bytes()}


def test_the_page_forbids_every_request_and_draws_both_series(page: dict[str, Any]):
    source = page["source"]
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', source)
    assert policy is not None and policy.group(1).startswith("default-src 'none'")
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", source, re.IGNORECASE)
    assert "<script" not in source and "<link" not in source
    dom = page["dom"]
    for series in ("duration", "cost"):
        points = re.findall(rf'<circle class="{series}" data-memory="(\d+)" cx="([\d.]+)" cy="([\d.]+)"', dom)
        assert [int(m) for m, _, _ in points] == [128, 256, 512, 1024, 2048]
        xs = [float(x) for _, x, _ in points]
        assert xs == sorted(xs) and len(set(xs)) == 5  # memory rises to the right
    # duration falls with memory up to one vCPU (higher on the page is a smaller y)
    ys = [
        float(y)
        for _, _, y in re.findall(
            r'<circle class="duration" data-memory="(\d+)" cx="([\d.]+)" cy="([\d.]+)"', dom
        )
    ]
    assert ys[0] < ys[1] < ys[2] < ys[3]
    table = html.unescape(dom)
    assert "fastest" in table and "cheapest" in table
    assert re.search(r"<b>speed</b>: 2,048 MB", table)


def test_the_screenshot_shows_both_lines(page: dict[str, Any]):
    image = png.read(page["png"])
    pixels = {image.pixel(x, y) for y in range(0, image.height, 2) for x in range(0, image.width, 2)}
    assert (0x2F, 0x6F, 0xD0) in pixels  # the duration line
    assert (0xD2, 0x56, 0x2A) in pixels  # the cost line
