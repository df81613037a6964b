"""Bytecode for the target interpreter, or none at all.

Lambda's /opt is read-only, so a layer without bytecode compiles every module on every cold
start (2.2 s vs 0.7 s measured for numpy+pandas+scipy.stats). Bytecode from another Python version
is dead weight (a python3.12 runtime never reads cpython-311 files). `unchecked-hash` pycs do not
depend on file mtimes, which zips and Lambda do not preserve.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from builder import proc
from builder.build import steps
from builder.errors import BuildError
from builder.interpreters.run import PythonRunner
from builder.manifest import BytecodeMode, BytecodeStatus, SourcelessPackage

# Shown in tracebacks instead of the staging folder: where Lambda mounts a layer's python/.
RUNTIME_PREFIX = "/opt/python"


@dataclass(frozen=True, kw_only=True)
class BytecodeReport:
    mode: BytecodeMode
    status: BytecodeStatus
    reason: str
    interpreter: str | None
    failed: tuple[str, ...] = ()  # files the target interpreter could not compile (kept as source)
    sourceless: tuple[SourcelessPackage, ...] = ()  # auto mode: the packages whose sources went


def compile_tree(
    site: Path, *, mode: BytecodeMode, python: PythonRunner | None, why_missing: str
) -> BytecodeReport:
    """Compile every module under site with the target's interpreter (`python`, already checked)."""
    if mode == "none":
        return BytecodeReport(mode=mode, status="skipped", reason="bytecode = none", interpreter=None)
    if python is None:
        return BytecodeReport(mode=mode, status="skipped", reason=why_missing, interpreter=None)
    # compileall's own workers start sys.executable, which only the interpreter itself is known to
    # run: behind a wrapper or an emulator it may be a foreign binary ("Exec format error"). Then
    # the command itself is started once per core, each on a share of the tree.
    shares = [[site]] if python.runs_itself else _shares(site, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        results = list(pool.map(lambda paths: _compileall(python, site, paths, mode), shares))
    failed = [path for result in results for path in _failed_files(result.stdout, site)]
    broken = next((result for result in results if not result.ok), None)
    if broken is not None and not failed:
        raise BuildError(steps.BYTECODE, f"compileall failed:\n{broken.tail()}")
    if mode == "sourceless":
        _drop_sources(site, keep=set(failed))
    return BytecodeReport(
        mode=mode,
        status="compiled",
        reason=f"compiled by Python {python.version} ({python.machine})",
        interpreter=python.label,
        failed=tuple(sorted(failed)),
    )


def _compileall(python: PythonRunner, site: Path, paths: list[Path], mode: BytecodeMode) -> proc.Result:
    # -s/-p (not -d): the recorded file names are relative to site for any path compiled.
    argv = ["-I", "-m", "compileall", "-q", "-j", "0" if python.runs_itself else "1"]
    argv += ["--invalidation-mode", "unchecked-hash", "-s", str(site), "-p", RUNTIME_PREFIX]
    if mode == "sourceless":  # auto compiles like pyc; make_sourceless moves what it must
        argv.append("-b")  # legacy location: x.pyc beside x.py, importable once x.py is gone
    argv += [str(path) for path in paths]
    return python.run(argv, step=steps.BYTECODE, env={"PYTHONDONTWRITEBYTECODE": ""}, timeout=None)


def _shares(site: Path, count: int) -> list[list[Path]]:
    """The top-level entries of site in `count` groups of about equal numbers of modules."""
    count = max(1, count)
    totals: list[int] = [0] * count
    groups: list[list[Path]] = [[] for _ in range(count)]
    for entry in sorted(site.iterdir(), key=lambda e: (-_modules(e), e.name)):
        smallest = totals.index(min(totals))
        totals[smallest] += _modules(entry)
        groups[smallest].append(entry)
    return [members for members in groups if members] or [[site]]


def _modules(entry: Path) -> int:
    if entry.is_file():
        return 1 if entry.suffix == ".py" else 0
    return sum(1 for _ in entry.rglob("*.py"))


def _failed_files(output: str, site: Path) -> list[str]:
    """compileall -q prints '*** Error compiling '<path>'...' for each file it could not compile."""
    failed = []
    for line in output.splitlines():
        if line.startswith("*** Error compiling"):
            quoted = line.split("'")
            if len(quoted) >= 2:
                path = quoted[1]
                failed.append(path.removeprefix(RUNTIME_PREFIX + "/").removeprefix(str(site) + "/"))
    return failed


def make_sourceless(site: Path, sources: Iterable[str]) -> int:
    """Replace these .py files by their bytecode (__pycache__/x.<tag>.pyc moved to x.pyc, the legacy
    location Python imports when the source is gone); returns the source bytes dropped.

    The bytecode is the same either way: compileall's -b only chooses where it is written.
    """
    dropped = 0
    caches: set[Path] = set()
    for relative in sources:
        source = site / relative
        cached = sorted(source.parent.glob(f"__pycache__/{source.stem}.*.pyc"))
        if len(cached) != 1 or not source.is_file():
            continue  # not compiled (a syntax the target refuses): keep the source
        dropped += source.stat().st_size
        os.replace(cached[0], source.with_suffix(".pyc"))
        source.unlink()
        caches.add(cached[0].parent)
    for folder in caches:
        if not any(folder.iterdir()):
            folder.rmdir()
    return dropped


def _drop_sources(site: Path, keep: set[str]) -> None:
    for source in site.rglob("*.py"):
        relative = source.relative_to(site).as_posix()
        if relative not in keep and source.with_suffix(".pyc").is_file():
            source.unlink()
