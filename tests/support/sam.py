"""The SAM CLI as the tests run it: its own virtual environment, no telemetry, the tool under test."""

from __future__ import annotations

import os
import sys

from support.paths import REPO

SAM_VENV = REPO / ".venv-sam"


def sam_env(path_first: list[str] | None = None) -> dict[str, str]:
    """The environment sam runs in: no telemetry, the tool under test as $(LAYER_BUILDER)."""
    env = dict(os.environ)
    env["SAM_CLI_TELEMETRY"] = "0"
    env["LAYER_BUILDER"] = f"{sys.executable} -m builder"
    env["PATH"] = os.pathsep.join([*(path_first or []), env.get("PATH", "")])
    env.pop("ARTIFACTS_DIR", None)
    return env
