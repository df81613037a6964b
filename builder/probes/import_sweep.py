"""Import every module of a layer tree: the "keep every module importable" check's worker, and the
build's evidence of what importing each module reads.

Run as `python -I -S -B import_sweep.py ROOT SKIP_TESTS` (see build/importcheck.py), SKIP_TESTS
"1" or "0". Prints one line, MARKER + a JSON object: module name -> None, or the error it raised.

The build (build/sweep.py) runs it as `ROOT SKIP_TESTS --record NAMES_JSON SECONDS`: it imports
those names, each bounded by SECONDS (an alarm), with an audit hook that records every file under
ROOT opened or loaded while importing; prints MARKER + {"results": {name: None or error},
"touched": {path under ROOT: the name whose import first read it}}.

A probe: standard library only, valid on Python 3.10 (see builder/probes/__init__.py).
"""

import importlib
import json
import os
import pkgutil
import signal
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


def wanted(root: str, skip_tests: bool) -> list[str]:
    names = []
    for name in sorted(module_names(root)):
        parts = name.split(".")
        if skip_tests and "tests" in parts:
            continue
        if any(p in ("conftest", "setup", "__main__") for p in parts):
            continue
        names.append(name)
    return names


class Timeout(BaseException):
    pass


def record(root: str, names: "list[str]", seconds: int) -> None:
    sys.path.insert(0, root)
    warnings.simplefilter("ignore")
    prefix = os.path.abspath(root).rstrip("/") + "/"
    touched: dict[str, str] = {}
    current = [""]

    def note(path: object) -> None:
        if isinstance(path, str):
            full = os.path.abspath(path)
            if full.startswith(prefix):
                touched.setdefault(full[len(prefix) :], current[0])

    def hook(event: str, args: "tuple[object, ...]") -> None:
        if event == "open" and args:
            note(args[0])
        elif event == "import" and len(args) > 1:
            note(args[1])

    def alarm(signum: int, frame: object) -> None:
        raise Timeout()

    sys.addaudithook(hook)
    bounded = hasattr(signal, "SIGALRM")
    if bounded:
        signal.signal(signal.SIGALRM, alarm)
    results: dict[str, str | None] = {}
    for name in names:
        current[0] = name
        before = set(sys.modules)
        try:
            if bounded:
                signal.alarm(seconds)
            importlib.import_module(name)
            results[name] = None
        except Timeout:
            results[name] = f"did not finish within {seconds} s"
        except BaseException as exc:
            results[name] = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            if bounded:
                signal.alarm(0)
        for loaded in set(sys.modules) - before:
            module = sys.modules.get(loaded)
            note(getattr(module, "__file__", None))
    print(MARKER + json.dumps({"results": results, "touched": touched}), flush=True)
    # Skip interpreter shutdown: threads and atexit handlers some modules start can hang it.
    sys.stderr.flush()
    os._exit(0)


def main(root: str, skip_tests: bool) -> None:
    sys.path.insert(0, root)
    warnings.simplefilter("ignore")
    results: dict[str, str | None] = {}
    for name in wanted(root, skip_tests):
        try:
            importlib.import_module(name)
            results[name] = None
        except BaseException as exc:
            results[name] = f"{type(exc).__name__}: {exc}"[:300]
    print(MARKER + json.dumps(results))


if __name__ == "__main__":
    if sys.argv[3:4] == ["--record"]:
        with open(sys.argv[4]) as handle:
            record(sys.argv[1], json.load(handle), int(sys.argv[5]))
    else:
        main(sys.argv[1], sys.argv[2] == "1")
