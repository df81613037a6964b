"""Every target the shipped recipes list: built with the local backend, verified with this machine's Pythons.

Usage: .venv/bin/python bench/every_target.py [--no-write] [--recipes NAME ...]

For scikit-learn and pandas-arrow (by default), each runtime x architecture the recipe lists, one after
another (a 2-core machine, and arm64 smoke tests run under qemu), from the committed lock:
`layer-builder build RECIPE -r RUNTIME -a ARCH --no-cache` into a scratch folder, with the interpreter
this machine has for the target, chosen the way a user would:

- one the tool finds by itself for this machine's architecture (PATH, pyenv, uv, its configuration);
- else Debian's, unpacked by tests/debian_pythons.sh and given as `--python WRAPPER`: a newer suite's
  x86_64 Python through its own loader (the host glibc is older), an arm64 one under qemu-user;
- else none (no Debian suite ships Python 3.12): the layer is still built and its smoke test is
  "not run", with the reason the manifest gives.

Prints a table and writes the `every-target` section of BENCHMARKS.md unless --no-write. Exit 1 when
any build failed (a smoke test that ran and failed fails its build), else 0.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _report
import _steps
from _report import format_table, grouped
from _steps import Pins, StepFailed

from builder.build import lock
from builder.interpreters.locate import arch_of, find
from builder.recipe import find_recipe
from builder.runtimes import get_target

SECTION = "every-target"
RECIPES = ("scikit-learn", "pandas-arrow")
DEBIAN_PYTHONS = _report.REPO / "tests" / "debian_pythons.sh"
DEBIAN_VERSIONS = {"3.11": "bookworm", "3.13": "trixie", "3.14": "forky"}  # as debian_pythons.sh knows
HEADERS = (
    "recipe",
    "target",
    "unzipped bytes",
    "zipped bytes",
    "files",
    "bytecode",
    "smoke",
    "smoke method",
    "smoke s",
    "build wall s",
)
RIGHT = (False, False, True, True, True, False, False, False, True, True)


@dataclass(frozen=True)
class Interpreter:
    """How the build gets its Python: `python` is the --python value, None to let the tool search."""

    python: str | None
    how: str


@dataclass(frozen=True)
class Outcome:
    recipe: str
    pins: Pins
    interpreter: Interpreter
    seconds: float
    manifest: dict[str, Any] | None  # None when the build failed
    error: str = ""

    @property
    def smoke(self) -> dict[str, Any]:
        return self.manifest["verification"]["smoke"] if self.manifest else {}

    @property
    def failed(self) -> bool:
        return self.manifest is None or self.smoke.get("status") == "failed"


def pins_for(recipe_name: str, runtime: str, arch: str) -> Pins:
    """The committed lock the build installs from; a stale one is refused, as the tool does."""
    target = get_target(runtime, arch)
    recipe = find_recipe(recipe_name, [_report.REPO / "recipes"])
    locked, path = lock.load_fresh(recipe, target)
    pins = tuple(f"{p.name}=={p.version}" for p in sorted(locked.packages, key=lambda p: p.name))
    return Pins(target=target, lock_path=path, pins=pins)


def targets_of(recipe_name: str) -> list[tuple[str, str]]:
    recipe = find_recipe(recipe_name, [_report.REPO / "recipes"])
    return [(runtime, arch) for runtime in recipe.runtimes for arch in recipe.architectures]


def debian_wrapper(version: str, arch: str) -> str:
    """The wrapper script debian_pythons.sh writes (unpacking the Debian root the first time)."""
    done = subprocess.run(
        ["bash", str(DEBIAN_PYTHONS), "wrapper", version, arch], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise StepFailed(f"debian_pythons.sh wrapper {version} {arch}:\n{done.stderr.strip()}")
    return done.stdout.strip()


def interpreter_for(runtime: str, arch: str, cache: dict[tuple[str, str], Interpreter]) -> Interpreter:
    """A native Python the tool finds by itself, else a Debian one, else none (the tool says why)."""
    if (runtime, arch) in cache:
        return cache[runtime, arch]
    version = runtime.removeprefix("python")
    chosen = Interpreter(python=None, how="no interpreter given: the tool searched by itself")
    search = find(version, machine=platform.machine(), override=None)
    if arch == arch_of(platform.machine()) and search.found is not None:
        where = search.looked_at[-1].split(":", 1)[0]
        chosen = Interpreter(python=None, how=f"found by the tool ({where}, {search.found.method})")
    elif version in DEBIAN_VERSIONS:
        runs = " under qemu-user" if arch != arch_of(platform.machine()) else " through its own loader"
        how = f"`--python` wrapper from tests/debian_pythons.sh: Debian {DEBIAN_VERSIONS[version]}'s{runs}"
        chosen = Interpreter(python=debian_wrapper(version, arch), how=how)
    cache[runtime, arch] = chosen
    return chosen


def measure(recipe: str, pins: Pins, interpreter: Interpreter, output: Path) -> Outcome:
    try:
        built = _steps.tool_build(
            pins, output, ["--no-cache"], _steps.offline_env(None), recipe=recipe, python=interpreter.python
        )
    except StepFailed as exc:
        return Outcome(recipe, pins, interpreter, seconds=0.0, manifest=None, error=str(exc))
    return Outcome(recipe, pins, interpreter, seconds=built.seconds, manifest=built.manifest)


def row(outcome: Outcome) -> list[str]:
    key = outcome.pins.target.key
    if outcome.manifest is None:
        return [outcome.recipe, key, "-", "-", "-", "-", "build failed", "-", "-", "-"]
    size, compiled, smoke = outcome.manifest["size"], outcome.manifest["bytecode"], outcome.smoke
    return [
        outcome.recipe,
        key,
        grouped(size["unzipped_bytes"]),
        grouped(size["zipped_bytes"]),
        str(size["file_count"]),
        f"{compiled['mode']} ({compiled['status']})",
        smoke["status"],
        smoke.get("method") or "-",
        f"{smoke['seconds']:.1f}" if smoke.get("seconds") is not None else "-",
        f"{outcome.seconds:.1f}",
    ]


def short(path: str | None) -> str:
    return str(path).replace(str(Path.home()), "~")


def notes(outcomes: list[Outcome]) -> list[str]:
    """Per target: which interpreter compiled and which ran the smoke test; why one did not run."""
    lines = []
    for o in outcomes:
        key = f"{o.recipe} {o.pins.target.key}"
        if o.manifest is None:
            lines.append(f"- {key}: build failed ({o.interpreter.how}):\n\n```\n{o.error}\n```\n")
            continue
        smoke, compiled = o.smoke, o.manifest["bytecode"]
        ran = (
            f"smoke test by `{short(smoke['interpreter'])}`" if smoke.get("interpreter") else "no smoke test"
        )
        lines.append(f"- {key}: {o.interpreter.how}; bytecode by `{short(compiled['interpreter'])}`; {ran}")
        if smoke["status"] != "passed":
            lines.append(f"  - {smoke['status']}: {' '.join(str(smoke['reason']).split())}")
    return lines


def pins_lines(outcomes: list[Outcome]) -> list[str]:
    """One line per recipe when its locks pin the same versions for every target, else one per lock."""
    lines = []
    for recipe in dict.fromkeys(o.recipe for o in outcomes):
        locks = [o.pins for o in outcomes if o.recipe == recipe]
        if len({p.pins for p in locks}) == 1:
            folder = locks[0].lock_path.parent.relative_to(_report.REPO)
            listed = ", ".join(f"`{pin}`" for pin in locks[0].pins)
            lines.append(f"- Pins {recipe} (`{folder}/`, the same in all {len(locks)} locks): {listed}")
        else:
            lines += [f"- Pins {recipe} {p.describe()}" for p in locks]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES))
    args = parser.parse_args()
    facts, load_start, share = _report.machine_facts(), _report.load_average(), _report.CpuShare()
    interpreters: dict[tuple[str, str], Interpreter] = {}
    outcomes: list[Outcome] = []
    try:
        with _steps.scratch("bench-every-target-") as scratch:
            for recipe in args.recipes:
                for runtime, arch in targets_of(recipe):
                    pins = pins_for(recipe, runtime, arch)
                    interpreter = interpreter_for(runtime, arch, interpreters)
                    print(f"{recipe} {pins.target.key} ({interpreter.how}) ...", file=sys.stderr, flush=True)
                    outcome = measure(recipe, pins, interpreter, scratch / recipe)
                    if outcome.manifest is None:
                        print(f"  failed: {outcome.error}", file=sys.stderr, flush=True)
                    outcomes.append(outcome)
    except StepFailed as exc:  # no interpreter set-up: nothing to measure
        print(f"failed: {exc}", file=sys.stderr)
        return 2
    machine = _report.facts_lines(facts, load_start, _report.load_average(), share.others_cores())
    body = "\n".join(
        [
            "## Every target of the shipped recipes, verified here (bench/every_target.py)",
            "",
            *machine,
            *pins_lines(outcomes),
            "- Local backend, `--no-cache`, targets one after another; arm64 smoke tests and arm64",
            "  bytecode (compiled by the `--python` given) run under qemu-user, so their seconds are",
            "  emulation time, not Graviton's. `smoke s` is the smoke test on the minimized layer only.",
            "",
            format_table(HEADERS, [row(o) for o in outcomes], RIGHT),
            "",
            "### Interpreters",
            "",
            *notes(outcomes),
        ]
    )
    print(body)
    if not args.no_write:
        _report.update_section(SECTION, body)
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
