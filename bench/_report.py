"""Shared by the bench/ scripts: machine facts, pins, tables, and BENCHMARKS.md sections.

Each script owns one section of BENCHMARKS.md between `<!-- NAME:start -->` and `<!-- NAME:end -->`
and rewrites only that; everything outside its markers is left byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "BENCHMARKS.md"
INTRO = (
    "# Benchmarks\n\n"
    "Measured numbers for layer-builder; each section is rewritten by the `bench/` script it names.\n"
)


# ---------------------------------------------------------------- facts about the run


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return -1.0


def pip_version() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    )
    parts = done.stdout.split()
    return parts[1] if len(parts) > 1 else "unknown"


def machine_facts() -> dict[str, str]:
    """What a reader needs to judge the numbers: when, on what, with which tools."""
    from builder import __version__  # imported late: the scripts put the repo on sys.path first

    coretype = os.environ.get("OPENBLAS_CORETYPE")
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count() or 0),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "pip": pip_version(),
        "tool": __version__,
        "openblas_coretype": f"set ({coretype})" if coretype is not None else "not set",
    }


def shared_note(load_start: float, load_end: float, cpus: str, others: float | None = None) -> str:
    """Say whether other work shared the machine, from the measured CPU share when there is one.

    The load average at start also counts the tail of whatever we ran just before, so it is only
    the fallback; `others` (cores used by processes that are not ours, see CpuShare) is exact.
    """
    loads = f"load average {load_start:.2f} at start, {load_end:.2f} at end on {cpus} cores"
    if others is not None:
        measured = f"other processes used {others:.2f} of the {cpus} cores on average during the run"
        if others >= 0.3:
            verdict = "the machine was shared, so timings are noisy"
        elif others >= 0.05:
            verdict = "the machine was lightly shared"
        else:
            verdict = "the machine was otherwise idle"
        return f"{measured}: {verdict} ({loads})"
    verdict = (
        "the machine was shared: other work was running when this started, so timings are noisy"
        if load_start >= 0.5
        else "the machine looked idle when this started"
    )
    return f"{loads}: {verdict}"


def facts_lines(
    facts: dict[str, str], load_start: float, load_end: float, others: float | None = None
) -> list[str]:
    return [
        f"- Run: {facts['date']}, layer-builder {facts['tool']}, "
        f"tool venv Python {facts['python']}, pip {facts['pip']}",
        f"- Machine: {facts['cpus']} cores, {facts['cpu']}; "
        + shared_note(load_start, load_end, facts["cpus"], others),
        f"- OPENBLAS_CORETYPE: {facts['openblas_coretype']}",
    ]


class CpuShare:
    """How many cores other people's processes used while we ran.

    The machine's busy CPU time (/proc/stat) minus our own and our waited-for children's
    (getrusage) over the wall time. Every subprocess we start is waited for, so it is counted.
    """

    def __init__(self) -> None:
        self.start = (time.perf_counter(), machine_busy_seconds(), own_cpu_seconds())

    def others_cores(self) -> float | None:
        wall0, busy0, own0 = self.start
        busy = machine_busy_seconds()
        if busy < 0 or busy0 < 0:
            return None
        wall = time.perf_counter() - wall0
        return max(0.0, ((busy - busy0) - (own_cpu_seconds() - own0)) / wall) if wall > 0 else None


def machine_busy_seconds() -> float:
    try:
        fields = Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return -1.0
    ticks = [int(value) for value in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    # guest time is already inside user time; leave it out so it is not counted twice
    busy = sum(ticks[:8]) - idle
    return busy / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


# ---------------------------------------------------------------- tables


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A Markdown pipe table padded so it also reads well in a terminal."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            str(c).rjust(w) if align else str(c).ljust(w)
            for c, w, align in zip(cells, widths, right, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if a else ("-" * (w + 2)) for w, a in zip(widths, right, strict=True)
        )
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def grouped(number: int) -> str:
    return f"{number:,}"


# ---------------------------------------------------------------- BENCHMARKS.md


def update_section(name: str, body: str, path: Path = BENCHMARKS) -> None:
    """Replace (or append) the `name` section of BENCHMARKS.md, leaving every other byte alone.

    Several benchmark scripts may finish at the same time on a shared machine, so the
    read-modify-write happens under an exclusive lock on the file itself; the file is rewritten
    in place (not replaced by a new inode) so that a writer waiting on the lock sees our update.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    with path.open("a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        text = handle.read() or INTRO
        if text.count(start) > 1 or text.count(end) > 1:
            raise ValueError(f"{path}: the {name} markers appear more than once; fix the file by hand")
        if start in text and end in text and text.index(start) < text.index(end):
            before, rest = text.split(start, 1)
            after = rest.split(end, 1)[1]
            text = before + block + after
        elif start in text or end in text:
            raise ValueError(f"{path}: only one of the {name} markers is present; fix the file by hand")
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
        handle.seek(0)
        handle.truncate()
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
