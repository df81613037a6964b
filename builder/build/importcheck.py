"""Import every module of a layer tree in an isolated interpreter: the "keep every module importable" check.

Minimizing must never make a module unimportable that imports from the full install. Comparing the
two trees module by module catches what a recipe's smoke test does not exercise.
"""

from __future__ import annotations

import json
from pathlib import Path

from builder import proc
from builder.build import steps
from builder.errors import BuildError

WORKER = r"""
import importlib, json, os, pkgutil, sys, warnings
root, skip_tests = sys.argv[1], sys.argv[2] == "1"
sys.path.insert(0, root)
warnings.simplefilter("ignore")
names = set()
for top in sorted(os.listdir(root)):
    path = os.path.join(root, top)
    if top.endswith((".dist-info", ".libs")) or top in ("bin", "__pycache__"):
        continue
    if os.path.isdir(path) and (os.path.exists(os.path.join(path, "__init__.py")) or os.path.exists(os.path.join(path, "__init__.pyc"))):
        names.add(top)
        for info in pkgutil.walk_packages([path], prefix=top + ".", onerror=lambda name: None):
            names.add(info.name)
    elif top.endswith((".py", ".pyc")) or ".cpython-" in top:
        names.add(top.split(".", 1)[0])
results = {}
for name in sorted(names):
    parts = name.split(".")
    if skip_tests and "tests" in parts:
        continue
    if any(p in ("conftest", "setup", "__main__") for p in parts):
        continue
    try:
        importlib.import_module(name)
        results[name] = None
    except BaseException as exc:
        results[name] = f"{type(exc).__name__}: {exc}"[:300]
print("@@" + json.dumps(results))
"""


def import_all(python: str, root: Path, *, skip_tests: bool) -> dict[str, str | None]:
    done = proc.run(
        [python, "-I", "-S", "-B", "-c", WORKER, str(root.resolve()), "1" if skip_tests else "0"],
        step=steps.VERIFY,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        timeout=1800,
        check=False,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("@@")), None)
    if line is None:
        raise BuildError(
            steps.VERIFY,
            f"importing every module crashed the interpreter ({done.returncode}):\n{done.stderr[-3000:]}",
        )
    results: dict[str, str | None] = json.loads(line[2:])
    return results


def broken_by_minimizing(python: str, layer: Path, full: Path, *, skip_tests: bool = True) -> dict[str, str]:
    """Modules that import from the full tree but not from the minimized layer, with their errors."""
    minimized = import_all(python, layer, skip_tests=skip_tests)
    original = import_all(python, full, skip_tests=skip_tests)
    return {
        name: error for name, error in minimized.items() if error and original.get(name, "absent") is None
    }
