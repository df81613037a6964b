"""`tune --html` opened in real headless Chromium, with no network: the chart draws, nothing is fetched."""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.aws

WINDOW = (1100, 1200)
# Without the background-networking switches Chromium reaches out to the network on start.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
    "--virtual-time-budget=3000",
)


def _png() -> Any:
    """The inspect tests' PNG reader, loaded by path (the tests use --import-mode=importlib)."""
    spec = importlib.util.spec_from_file_location("lb_png", Path(__file__).parents[1] / "inspect" / "png.py")
    assert spec is not None and spec.loader is not None
    module = sys.modules.setdefault("lb_png", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)  # dataclasses look their module up in sys.modules
    return module


def run_chromium(url: str, profile: Path, *extra: str) -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, (
        "headless Chromium is needed for the HTML tests (Debian: chromium); tests/run.sh installs it"
    )
    profile.mkdir()
    done = subprocess.run(
        [found, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


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
    image = _png().read(page["png"])
    pixels = {image.pixel(x, y) for y in range(0, image.height, 2) for x in range(0, image.width, 2)}
    assert (0x2F, 0x6F, 0xD0) in pixels  # the duration line
    assert (0xD2, 0x56, 0x2A) in pixels  # the cost line
