"""How layer-builder asks pip to resolve and install for a target that is not the host.

pip runs from the tool's own environment (a current pip is a dependency: old pips refuse newer
numpy for another --python-version), and honours the user's pip configuration (index, find-links,
cert), so we never pass --isolated.
"""

from __future__ import annotations

import re
import sys

from builder.runtimes import Target


def pip_argv() -> list[str]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check"]


NO_MATCH_RE = re.compile(r"No matching distribution found for ([^\s]+)")


def missing_distribution(stderr: str) -> str | None:
    """The requirement pip found nothing for ("numpy==1.21.6"), from its error output."""
    found = NO_MATCH_RE.search(stderr)
    return found.group(1) if found else None


def target_args(target: Target) -> list[str]:
    """Flags that make pip pick wheels for the Lambda target instead of the host."""
    args = [
        "--only-binary=:all:",
        "--python-version",
        target.runtime.python,
        "--implementation",
        "cp",
        "--abi",
        target.runtime.abi,
    ]
    for tag in target.platform_tags():
        args += ["--platform", tag]
    return args
