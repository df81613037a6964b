"""Import every module of a layer tree: the "keep every module importable" check's worker.

Run as `python -I -S -B import_sweep.py ROOT SKIP_TESTS` (see build/importcheck.py), SKIP_TESTS
"1" or "0". Prints one line, MARKER + a JSON object: module name -> None, or the error it raised.

A probe: standard library only, valid on Python 3.10 (see builder/probes/__init__.py).
"""

import importlib
import json
import os
import pkgutil
import sys
import warnings

MARKER = "@@"


def module_names(root: str) -> set[str]:
    names: set[str] = set()
    for top in sorted(os.listdir(root)):
        path = os.path.join(root, top)
        if top.endswith((".dist-info", ".libs")) or top in ("bin", "__pycache__"):
            continue
        if os.path.isdir(path) and (
            os.path.exists(os.path.join(path, "__init__.py"))
            or os.path.exists(os.path.join(path, "__init__.pyc"))
        ):
            names.add(top)
            for info in pkgutil.walk_packages([path], prefix=top + ".", onerror=lambda name: None):
                names.add(info.name)
        elif top.endswith((".py", ".pyc")) or ".cpython-" in top:
            names.add(top.split(".", 1)[0])
    return names


def main(root: str, skip_tests: bool) -> None:
    sys.path.insert(0, root)
    warnings.simplefilter("ignore")
    results: dict[str, str | None] = {}
    for name in sorted(module_names(root)):
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
    print(MARKER + json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] == "1")
