"""Setting up what a fixture needs by running a command (a tests/ script, pip): the fixture FAILS,
never skips, when it cannot be had, so that CI notices a machine where something cannot be tested."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

import pytest


def run_or_fail(command: Sequence[str], timeout: float) -> str:
    """Run `command`; its stdout. Fails the test when it does not finish in `timeout` seconds or
    exits non-zero, with what it printed."""
    shown = " ".join(command)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{shown} did not finish in {timeout}s: {exc}")
    if done.returncode != 0:
        pytest.fail(f"{shown} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout
