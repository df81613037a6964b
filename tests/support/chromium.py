"""Headless Chromium for the HTML report tests: the page is opened with no network, as a user's
browser would open a saved report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

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
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, (
        "headless Chromium is needed for the HTML tests (Debian: chromium); tests/run.sh installs it"
    )
    return found


def run(
    url: str, profile: Path, *extra: str, window: tuple[int, int], budget_ms: int = 5000
) -> subprocess.CompletedProcess[str]:
    """Open `url` with a fresh profile folder; `extra` adds e.g. --dump-dom or --screenshot=FILE."""
    profile.mkdir()
    argv = [
        chromium(),
        *FLAGS,
        f"--window-size={window[0]},{window[1]}",
        f"--virtual-time-budget={budget_ms}",
        f"--user-data-dir={profile}",
        *extra,
        url,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done
