"""Import every module of a layer, in an isolated target interpreter, and list the ones that fail.

Usage: python bench/import_all.py PYTHON LAYER_PYTHON_DIR [--compare FULL_PYTHON_DIR] [--skip-tests]

With --compare, a module counts as broken only if it imports from the full (unminimized) tree
and not from the layer: that is what the minimizer must never cause.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

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
    if skip_tests and ("tests" in parts or "testing" in parts[1:2] and False):
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


def import_all(python: str, root: Path, skip_tests: bool) -> dict[str, str | None]:
    done = subprocess.run(
        [python, "-I", "-S", "-B", "-c", WORKER, str(root.resolve()), "1" if skip_tests else "0"],
        capture_output=True,
        text=True,
        env={"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
        timeout=1800,
    )
    line = next((line for line in done.stdout.splitlines() if line.startswith("@@")), None)
    if line is None:
        raise SystemExit(f"worker crashed ({done.returncode}):\n{done.stderr[-3000:]}")
    results: dict[str, str | None] = json.loads(line[2:])
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("python")
    parser.add_argument("layer", type=Path, help="the layer's python/ folder")
    parser.add_argument("--compare", type=Path, help="the unminimized python/ folder")
    parser.add_argument("--skip-tests", action="store_true", help="do not try test modules")
    args = parser.parse_args()
    layer = import_all(args.python, args.layer, args.skip_tests)
    failed = {name: error for name, error in layer.items() if error}
    if args.compare:
        full = import_all(args.python, args.compare, args.skip_tests)
        broken = {n: e for n, e in failed.items() if full.get(n, "absent") is None}
        print(f"{len(layer)} modules tried in the layer, {len(failed)} fail there; "
              f"{len(broken)} of them import from the full tree (broken by minimizing)")
        for name, error in sorted(broken.items()):
            print(f"  BROKEN {name}: {error}")
        return 1 if broken else 0
    print(f"{len(layer)} modules tried, {len(failed)} failed")
    for name, error in sorted(failed.items()):
        print(f"  {name}: {error}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
