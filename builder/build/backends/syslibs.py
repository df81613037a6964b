"""Bundling system libraries of the build image into a layer's lib/, with their license files.

Some wheels need a shared library that neither the wheel nor the Lambda runtime has (a threading
runtime, an XML library). Lambda puts /opt/lib on LD_LIBRARY_PATH, so a copy in the layer's lib/
is found; the copy comes from the runtime's build image, which is the same OS as Lambda's. The
license files of the package that owns the library ship beside it (lib/licenses/<package>/), as
the library's license requires.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from builder import probes
from builder.build import steps
from builder.errors import ContainerError
from builder.probes.syslibs_copy import MARKER


class Runner(Protocol):
    """What of the build container this needs: run a command, get its exit code and output."""

    def run_unchecked(self, argv: Sequence[str], *, step: str) -> tuple[int, str]: ...


def bundle(
    box: Runner, python: str, names: Sequence[str], lib_dir: Path, work: Path
) -> list[dict[str, object]]:
    """Copy `names` from the image into lib_dir; both folders are visible at the same path inside the container."""
    # The image's Python runs the probe, so it goes into the mounted work folder first.
    script = probes.copy_to("syslibs_copy.py", work)
    code, output = box.run_unchecked([python, str(script), str(lib_dir), *names], step=steps.INSTALL)
    lines = [line for line in output.splitlines() if line.startswith(MARKER)]
    if code != 0 or not lines:
        raise ContainerError(
            steps.INSTALL, f"could not copy system libraries from the build image:\n{output}"
        )
    report: list[dict[str, object]] = json.loads(lines[-1][len(MARKER) :])
    missing = [str(row["name"]) for row in report if not row["found"]]
    if missing:
        raise ContainerError(
            steps.INSTALL,
            f"the build image has no {', '.join(missing)} (looked in the loader cache and the usual lib folders)",
            hint="check the names in [layer] system_libraries, or use a --base-image that has their packages",
        )
    return report
