"""The deployment tools' real clients: aws-sam-cli in a virtual environment of its own."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from support.prerequisites import run_or_fail
from support.sam import SAM_VENV

INSTALL_TIMEOUT_SECONDS = 900


@pytest.fixture(scope="session")
def sam() -> str:
    """The `sam` executable: $LAYER_BUILDER_SAM (tests/run.sh sets it), else .venv-sam/bin/sam,
    made here when missing (aws-sam-cli pins its own dependencies: they must not mix with the
    tool's). FAILS, never skips, when it cannot be had."""
    given = os.environ.get("LAYER_BUILDER_SAM")
    if given:
        if not Path(given).is_file():
            pytest.fail(f"LAYER_BUILDER_SAM={given} does not exist")
        return given
    sam = SAM_VENV / "bin" / "sam"
    if not sam.is_file():
        for command in (
            [sys.executable, "-m", "venv", str(SAM_VENV)],
            [str(SAM_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "aws-sam-cli"],
        ):
            run_or_fail(command, INSTALL_TIMEOUT_SECONDS)
    return str(sam)
