"""Import every module of a layer tree in an isolated interpreter: the "keep every module importable" check.

Minimizing must never make a module unimportable that imports from the full install. Comparing the
two trees module by module catches what a recipe's smoke test does not exercise.
"""

from __future__ import annotations

import json
from pathlib import Path

from builder import probes, proc
from builder.build import steps
from builder.errors import BuildError
from builder.probes.import_sweep import MARKER


def import_all(python: str, root: Path, *, skip_tests: bool) -> dict[str, str | None]:
    done = proc.run(
        [
            python,
            "-I",
            "-S",
            "-B",
            str(probes.path("import_sweep.py")),
            str(root.resolve()),
            "1" if skip_tests else "0",
        ],
        step=steps.VERIFY,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        timeout=1800,
        check=False,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith(MARKER)), None)
    if line is None:
        raise BuildError(
            steps.VERIFY,
            f"importing every module crashed the interpreter ({done.returncode}):\n{done.stderr[-3000:]}",
        )
    results: dict[str, str | None] = json.loads(line[len(MARKER) :])
    return results


def broken_by_minimizing(python: str, layer: Path, full: Path, *, skip_tests: bool = True) -> dict[str, str]:
    """Modules that import from the full tree but not from the minimized layer, with their errors."""
    minimized = import_all(python, layer, skip_tests=skip_tests)
    original = import_all(python, full, skip_tests=skip_tests)
    return {
        name: error for name, error in minimized.items() if error and original.get(name, "absent") is None
    }
