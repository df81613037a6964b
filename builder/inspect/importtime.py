"""The cold import time of a layer's smoke imports, module by module (`python -X importtime`).

The layer is extracted to a scratch folder and imported by an interpreter of the target's Python
version and machine with `-I -S -B`, as the build's smoke test does: only the layer and the standard
library are importable and nothing is written into the layer (Lambda's /opt is read-only, so a
layer without bytecode compiles on every cold start, and that shows here too). All smoke imports
run in one process, in the recipe's order, as a handler importing them would; a marker line between
them attributes each module to the import that first loaded it.
"""

from __future__ import annotations

import re
import shlex
import statistics
import zipfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from builder import probes, proc
from builder.errors import BuildError
from builder.inspect import bounds
from builder.probes.import_timer import FAILED, MARK

STEP = "inspect: import time"
TIMEOUT = 600

# "import time:       410 |       1204 |   numpy._core" (self µs, cumulative µs, nesting by indent)
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")

Status = Literal["measured", "not measured"]


@dataclass(frozen=True, kw_only=True)
class Line:
    module: str
    self_us: int
    cumulative_us: int
    depth: int
    during: str | None  # the smoke import that loaded it; None for interpreter start-up


@dataclass(frozen=True, kw_only=True)
class ModuleTime:
    """One top-level module: the time spent in its own modules, and its first import with everything it pulled in."""

    name: str  # "numpy"
    self_us: int
    cumulative_us: int
    in_layer: bool


@dataclass(frozen=True, kw_only=True)
class ImportStep:
    name: str  # a smoke import, e.g. "scipy.stats"
    us: int  # what it added on top of the imports before it
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class ImportTimes:
    status: Status
    reason: str
    interpreter: str | None = None  # its command, shell-quoted
    python: str = ""  # "Python 3.12 (x86_64)"
    runs: int = 0
    startup_us: int = 0  # the interpreter's own start-up imports, before the first smoke import
    total_us: int = 0  # every smoke import together
    modules: tuple[ModuleTime, ...] = ()  # slowest first
    steps: tuple[ImportStep, ...] = ()

    @property
    def outside_layer(self) -> tuple[int, int]:
        """Modules from outside the layer (the standard library): how many, and their self time."""
        outside = [m for m in self.modules if not m.in_layer]
        return len(outside), sum(m.self_us for m in outside)

    @property
    def failures(self) -> tuple[ImportStep, ...]:
        return tuple(step for step in self.steps if step.error)


def not_measured(reason: str) -> ImportTimes:
    return ImportTimes(status="not measured", reason=reason)


def parse(stderr: str) -> tuple[list[Line], dict[str, str]]:
    """The importtime lines, each tagged with the smoke import it happened during, and the failures."""
    lines: list[Line] = []
    errors: dict[str, str] = {}
    during: str | None = None
    for text in stderr.splitlines():
        if text.startswith(MARK):
            during = text.removeprefix(MARK).strip()
        elif text.startswith(FAILED):
            name, _, error = text.removeprefix(FAILED).partition(" ")
            errors[name] = error
        elif found := LINE.match(text):
            lines.append(
                Line(
                    module=found[4],
                    self_us=int(found[1]),
                    cumulative_us=int(found[2]),
                    depth=len(found[3]) // 2,
                    during=during,
                )
            )
    return lines, errors


def summarize(
    lines: Sequence[Line], errors: dict[str, str], imports: Sequence[str], layer_modules: frozenset[str]
) -> tuple[int, tuple[ModuleTime, ...], tuple[ImportStep, ...]]:
    """Start-up time, per top-level module totals and per smoke import totals (pure).

    A top-level module's cumulative time is the cumulative time of its outermost imports (those not
    made from inside the same top-level module): its own modules plus everything they pulled in.
    """
    startup = sum(line.self_us for line in lines if line.during is None)
    own: dict[str, int] = defaultdict(int)
    outer: dict[str, int] = defaultdict(int)
    for line, parent in zip(lines, parents(lines), strict=True):
        if line.during is None:
            continue
        top = _top(line.module)
        own[top] += line.self_us
        if parent is None or _top(parent.module) != top:
            outer[top] += line.cumulative_us
    modules = sorted(
        (
            ModuleTime(name=top, self_us=us, cumulative_us=outer[top], in_layer=top in layer_modules)
            for top, us in own.items()
        ),
        key=lambda m: (-m.self_us, m.name),
    )
    per_import: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.during is not None:
            per_import[line.during] += line.self_us
    steps = tuple(ImportStep(name=name, us=per_import[name], error=errors.get(name)) for name in imports)
    return startup, tuple(modules), steps


def parents(lines: Sequence[Line]) -> list[Line | None]:
    """The line each import was made from. importtime prints a module after the ones it imported,
    indented one level deeper, so a line adopts the deeper lines printed since its last sibling."""
    found: list[Line | None] = [None] * len(lines)
    waiting: dict[int, list[int]] = defaultdict(list)  # depth -> indexes without a parent yet
    for index, line in enumerate(lines):
        for child in waiting.pop(line.depth + 1, []):
            found[child] = line
        waiting[line.depth].append(index)
    return found


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def measure(
    zip_path: Path,
    python: Sequence[str],
    imports: Sequence[str],
    *,
    scratch: Path,
    layer_modules: frozenset[str],
    base_env: Mapping[str, str],
    python_label: str = "",
    runs: int = 3,
) -> ImportTimes:
    """Extract the layer under scratch and time `imports` `runs` times; the run with the median total counts."""
    if not imports:
        return not_measured("no imports to time")
    root = scratch / "opt"
    with zipfile.ZipFile(zip_path) as archive:
        bounds.extract(archive, root)  # only what stays under root; the caller checked the sizes
    # Lambda's order: python/lib/pythonX.Y/site-packages, then python/ (and /var/task first, not here).
    sites = sorted(str(p) for p in root.glob("python/lib/python3.*/site-packages"))
    sites.append(str(root / "python"))
    # base_env: what the interpreter itself may need to start (PATH, LD_LIBRARY_PATH); -I ignores PYTHON*.
    env = {**base_env, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(scratch), "TMPDIR": str(scratch)}
    # Copied beside the extracted layer: whatever runs the interpreter (an emulator, a wrapper) sees it there.
    timer = probes.copy_to("import_timer.py", scratch)
    argv: list[str | Path] = [
        *python,  # a command, run exactly as given (a wrapper or an emulator launcher)
        "-I",
        "-S",
        "-B",
        "-X",
        "importtime",
        timer,
        "\n".join(sites),
        *imports,
    ]
    results = []
    for _ in range(max(runs, 1)):
        try:
            done = proc.run(argv, step=STEP, env=env, timeout=TIMEOUT, check=False)
        except BuildError as exc:
            return not_measured(exc.message)
        lines, errors = parse(done.stderr)
        if not lines:
            return not_measured(
                f"{shlex.join(python)} printed no import times (exit {done.returncode}): {done.tail(3)}"
            )
        results.append(summarize(lines, errors, imports, layer_modules))
    totals = [sum(step.us for step in steps) for _, _, steps in results]
    chosen = results[totals.index(statistics.median_low(totals))]
    startup, modules, steps = chosen
    return ImportTimes(
        status="measured",
        reason=f"median of {len(results)} runs" if len(results) > 1 else "one run",
        interpreter=shlex.join(python),  # the command as a shell would take it
        python=python_label,
        runs=len(results),
        startup_us=startup,
        total_us=sum(step.us for step in steps),
        modules=modules,
        steps=steps,
    )
