"""What importing any module of the full install reads: evidence no smoke test gathers.

A library may read a file only when one of its subpackages is first imported; a smoke test that
imports only the top-level package never sees it, and a removal rule would take the file away. So
before planning, every module of the full install (test suites aside) is imported in the target's
interpreter with an audit hook (probes/import_sweep.py), and every file those imports open or load
is kept, with "used by importing X" as its reason.

Importing everything can hang or have side effects: each module has an alarm of its own, modules
are imported in batches, one interpreter per batch (a crash loses one batch), with HOME and TMPDIR
in the scratch folder; a module that fails to import is skipped. A failed sweep never fails the
build: it is noted, and what it did not see is not protected.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from builder import probes
from builder.build import steps
from builder.errors import BuildError
from builder.interpreters.run import PythonRunner
from builder.probes.import_sweep import MARKER

MODULE_SECONDS = 30  # one module's import (the alarm in the probe)
BATCH_SECONDS = 600  # one batch's interpreter, when the runner can bound it
BATCH_SIZE = 400  # modules per interpreter: starting one and importing numpy again costs about 0.3 s
NOT_SWEPT = frozenset({"tests", "conftest", "setup", "__main__"})
EXTENSION_SUFFIX = ".so"


@dataclass(frozen=True, kw_only=True)
class Sweep:
    touched: dict[str, str] = field(default_factory=dict)  # path under python/ -> the module importing it
    modules: int = 0
    failed: int = 0  # modules that did not import on the full install (skipped: no evidence from them)
    notes: tuple[str, ...] = ()
    seconds: float = 0.0


def module_names(paths: Iterable[str]) -> list[str]:
    """The importable modules of a file listing (posix paths under python/), test suites aside.

    A module counts when every folder above it is a package (has __init__.py); found from the
    listing, not by importing packages to walk them.
    """
    files = set(paths)
    names: set[str] = set()
    for path in files:
        parts = path.split("/")
        stem = _module_stem(parts[-1])
        if stem is None or parts[0].endswith((".dist-info", ".data", ".libs")):
            continue
        folders = parts[:-1]
        if any("/".join(folders[: i + 1]) + "/__init__.py" not in files for i in range(len(folders))):
            continue
        dotted = [*folders] if stem == "__init__" else [*folders, stem]
        if dotted and all(p.isidentifier() for p in dotted) and not NOT_SWEPT & set(dotted):
            names.add(".".join(dotted))
    return sorted(names)


def _module_stem(name: str) -> str | None:
    if name.endswith(".py"):
        return name[: -len(".py")]
    if name.endswith(EXTENSION_SUFFIX) and "." in name[: -len(EXTENSION_SUFFIX)]:
        return name.split(".", 1)[0]  # _foo.cpython-312-x86_64-linux-gnu.so
    return None


def batches(names: Sequence[str], size: int = BATCH_SIZE) -> list[list[str]]:
    """Names in batches of about `size`, a top-level package's modules together where they fit."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    out: list[list[str]] = []
    current: list[str] = []
    for members in sorted(groups.values(), key=len, reverse=True):
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            if current and len(current) + len(chunk) > size:
                out.append(current)
                current = []
            current = current + chunk
    if current:
        out.append(current)
    return out


def sweep(
    site: Path, paths: Iterable[str], python: PythonRunner | None, why_missing: str, scratch: Path
) -> Sweep:
    """Import every module of `site` in the target's interpreter and record what the imports read."""
    if python is None:
        return Sweep(notes=(f"modules were not imported to see what they read: {why_missing}",))
    names = module_names(paths)
    if not names:
        return Sweep()
    started = time.perf_counter()
    scratch.mkdir(parents=True, exist_ok=True)
    probe = probes.copy_to("import_sweep.py", scratch)
    groups = batches(names)
    # A container runs one command at a time here; an interpreter on this machine runs one per core.
    workers = 1 if python.method == "container" else max(1, min(len(groups), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(lambda item: _batch(python, probe, site, scratch, *item), enumerate(groups)))
    touched: dict[str, str] = {}
    notes: list[str] = []
    failed = 0
    for result, note in outcomes:
        if note:
            notes.append(note)
            continue
        failed += sum(1 for error in result["results"].values() if error)
        for path, module in result["touched"].items():
            touched.setdefault(path, module or "")
    return Sweep(
        touched=touched,
        modules=len(names),
        failed=failed,
        notes=tuple(notes),
        seconds=round(time.perf_counter() - started, 2),
    )


Report = dict[str, dict[str, str | None]]  # {"results": {module: error}, "touched": {path: module}}


def _batch(
    python: PythonRunner, probe: Path, site: Path, scratch: Path, index: int, names: list[str]
) -> tuple[Report, str]:
    listing = scratch / f"batch-{index}.json"
    listing.write_text(json.dumps(names), encoding="utf-8")
    home = scratch / f"home-{index}"
    home.mkdir(exist_ok=True)
    env = {"PYTHONDONTWRITEBYTECODE": "1", "HOME": str(home), "TMPDIR": str(home), "MPLBACKEND": "Agg"}
    argv = ["-I", "-S", "-B", str(probe), str(site.resolve()), "1", "--record", str(listing)]
    argv.append(str(MODULE_SECONDS))
    what = f"importing {len(names)} modules ({names[0]} ...)"
    try:
        done = python.run(argv, step=steps.PLAN, env=env, timeout=BATCH_SECONDS)
    except BuildError as exc:
        return {}, f"{what} did not finish: {exc.message}; what they read is not protected"
    line = next((line for line in done.stdout.splitlines() if line.startswith(MARKER)), None)
    if line is None:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-2:])[:300]
        return (
            {},
            f"{what} crashed the interpreter ({done.returncode}: {tail}); what they read is not protected",
        )
    report: Report = json.loads(line[len(MARKER) :])
    return report, ""
