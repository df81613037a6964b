"""Build time and size: `pip install --target` + `zip -r9` against `layer-builder build`.

Usage: .venv/bin/python bench/build.py [--online] [--no-write] [--baseline REV]

For scipy-stack on python3.12 and python3.11 x86_64, with the same pins (the committed lock):
  (a) pip install --target python/ (target platform flags, host bytecode as pip makes it) + zip -r9
  (b) layer-builder build --no-cache into a fresh, empty output folder (cold)
  (c) layer-builder build again into the same folder, no flags (unchanged rebuild, from the cache)
With --baseline REV, (b) and (c) also run with that revision of layer-builder (a git worktree with
its own venv), interleaved with this checkout's, so a change is measured against what it replaces.

A warm-up downloads the locked wheels once into a local folder and every measured install reads
them from there (PIP_NO_INDEX, PIP_FIND_LINKS), so the network is not what we measure. --online
skips that and lets every install use the configured index. Prints a table and writes the
`build` section of BENCHMARKS.md (unless --no-write). Exit 1 when a step fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _report
import _steps
from _report import format_table, grouped
from _steps import Pins, StepFailed

SECTION = "build"
HEADERS = ("target", "method", "wall s", "zipped bytes", "unzipped bytes", "files", "notes")
RIGHT = (False, False, True, True, True, True, False)


def measure_target(
    pins: Pins, work: Path, env: dict[str, str], baseline: _steps.Checkout | None
) -> list[list[str]]:
    key = pins.target.key
    print(f"{key}: pip install --target + zip -r9 ...", file=sys.stderr, flush=True)
    naive = work / key / "naive"
    pip_seconds = _steps.pip_target_install(pins, naive / "python", compile_host=True, env=env)
    zip_seconds = _steps.zip_folder(naive, "python", naive / "layer.zip")
    naive_zip = _steps.zip_stats(naive / "layer.zip")

    rows = [
        _row(
            key,
            "(a) pip install --target + zip -r9",
            pip_seconds + zip_seconds,
            naive_zip,
            f"pip {pip_seconds:.1f} s + zip {zip_seconds:.1f} s; host ({_steps.HOST_TAG}) bytecode",
        )
    ]
    for checkout in (None, baseline) if baseline else (None,):
        rows += tool_rows(pins, work / key / (checkout.label if checkout else "current"), env, checkout)
    return rows


def tool_rows(
    pins: Pins, work: Path, env: dict[str, str], checkout: _steps.Checkout | None
) -> list[list[str]]:
    key, who = pins.target.key, f" [{checkout.label}]" if checkout else ""
    print(f"{key}: layer-builder{who} build --no-cache (cold) ...", file=sys.stderr, flush=True)
    output = work / "layers"  # fresh and empty: nothing to answer from
    cold = _steps.tool_build(pins, output, ["--no-cache"], env, checkout)
    print(f"{key}: layer-builder{who} build (unchanged rebuild) ...", file=sys.stderr, flush=True)
    again = _steps.tool_build(pins, output, [], env, checkout)
    if cold.cached:
        raise StepFailed(f"{key}: the --no-cache build says it came from the cache")
    bytecode = cold.manifest["bytecode"]
    smoke = cold.manifest["verification"]["smoke"]["status"]
    return [
        _row(
            key,
            f"(b) layer-builder build, cold{who}",
            cold.seconds,
            _steps.zip_stats(cold.zip_path),
            f"bytecode {bytecode['mode']} ({bytecode['status']}), smoke {smoke}",
        ),
        _row(
            key,
            f"(c) layer-builder build, unchanged{who}",
            again.seconds,
            _steps.zip_stats(again.zip_path),
            "answered from the cache" if again.cached else "NOT answered from the cache: rebuilt",
        ),
    ]


def _row(key: str, method: str, seconds: float, stats: _steps.ZipStats, note: str) -> list[str]:
    return [
        key,
        method,
        f"{seconds:.1f}",
        grouped(stats.zipped_bytes),
        grouped(stats.unzipped_bytes),
        grouped(stats.file_count),
        note,
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--online", action="store_true", help="install from the configured index every time")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--baseline", metavar="REV", help="also build with this git revision, side by side")
    args = parser.parse_args(argv)

    share, load_start = _report.CpuShare(), _report.load_average()
    facts = _report.machine_facts()
    try:
        all_pins = [_steps.pins_for(runtime, arch) for runtime, arch in _steps.TARGETS]
        with _steps.scratch("lb-bench-build-") as work:
            network_note = warm_up(all_pins, work, online=args.online)
            env = _steps.offline_env(None if args.online else work / "wheels")
            baseline = _steps.baseline_checkout(args.baseline, work) if args.baseline else None
            try:
                rows = [row for pins in all_pins for row in measure_target(pins, work, env, baseline)]
            finally:
                if baseline:
                    _steps.remove_baseline(work)
    except StepFailed as exc:
        print(f"bench/build.py: {exc}", file=sys.stderr)
        return 1
    machine = _report.facts_lines(facts, load_start, _report.load_average(), share.others_cores())

    table = format_table(HEADERS, rows, RIGHT)
    print(table)
    print(network_note)
    print(machine[1])
    if not args.no_write:
        _report.update_section(SECTION, section(table, machine, all_pins, network_note))
        print(f"wrote the {SECTION} section of {_report.BENCHMARKS}")
    return 0


def warm_up(all_pins: list[Pins], work: Path, *, online: bool) -> str:
    """Download every locked wheel once and report whether pip's own HTTP cache kept them."""
    before = _steps.pip_cache_bytes()
    print("warm-up: downloading the locked wheels ...", file=sys.stderr, flush=True)
    for pins in all_pins:
        _steps.download_wheels(pins, work / "wheels")
    after = _steps.pip_cache_bytes()
    cache = (
        f"pip's HTTP cache grew by {grouped(after - before)} bytes during the warm-up"
        if after > before
        else f"pip's HTTP cache did not grow during the warm-up ({grouped(after)} bytes): "
        "the index's responses are not cacheable here, so an online install downloads every time"
    )
    if online:
        return f"Network: --online, every install used the configured index after a warm-up; {cache}."
    return (
        f"Network: excluded. A warm-up downloaded the locked wheels once; every measured install "
        f"(pip and layer-builder alike) read them from a local folder (PIP_NO_INDEX=1, PIP_FIND_LINKS). {cache}."
    )


def section(table: str, machine: list[str], all_pins: list[Pins], network: str) -> str:
    lines = [
        "## Build: `pip install --target` + `zip -r9` vs `layer-builder build` (bench/build.py)",
        "",
        *machine,
        "- Pins (the committed locks, used by every row):",
        *(f"  - {pins.describe()}" for pins in all_pins),
        f"- {network}",
        "- (a) uses the target's --platform/--python-version/--only-binary flags, `--require-hashes "
        f"--no-deps -r LOCK`, and pip's default bytecode (compiled by the host's Python {_steps.HOST_PYTHON}), then "
        "`zip -r9 layer.zip python`. (b) is a fresh, empty output folder with `--no-cache`; (c) runs "
        "the same command again into the same folder without flags. Sizes are read from each zip.",
        "",
        table,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
