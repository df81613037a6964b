"""The names of the build pipeline's steps, defined once.

A failure's message starts with its step's name ("minimize: rule 'docs' removed ..."), the progress
display shows it, and tests match on it: every module names its step from here.
"""

from __future__ import annotations

from typing import Final, Literal

StepName = Literal[
    "lock", "container", "install", "fit", "plan", "minimize", "bytecode", "verify", "size", "package"
]

LOCK: Final = "lock"
CONTAINER: Final = "container"  # starting the docker backend's build container
INSTALL: Final = "install"
FIT: Final = "fit"  # the smallest layer the rules can make, against the limit: before the slow steps
PLAN: Final = "plan"
MINIMIZE: Final = "minimize"
BYTECODE: Final = "bytecode"
VERIFY: Final = "verify"
SIZE: Final = "size"
PACKAGE: Final = "package"
