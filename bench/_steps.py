"""Shared by the bench/ scripts: the measured steps (pip baseline, zip, layer-builder) and their facts.

Everything runs as a subprocess, the way a user would run it, so the numbers include interpreter
start-up and imports.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _report import REPO

sys.path.insert(0, str(REPO))  # `builder` when run as `.venv/bin/python bench/NAME.py`

from builder.build import lock, pipcmd
from builder.recipe import find_recipe
from builder.runtimes import Target, get_target

RECIPE = "scipy-stack"
TARGETS = (("python3.12", "x86_64"), ("python3.11", "x86_64"))
# pip compiles with the interpreter it runs on: the tool's venv, not the target.
HOST_TAG = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


class StepFailed(Exception):
    """A measured step did not succeed: the benchmark has no number to report for it."""


@dataclass(frozen=True)
class ZipStats:
    zipped_bytes: int
    unzipped_bytes: int  # what Lambda counts against the 262,144,000-byte limit
    file_count: int


@dataclass(frozen=True)
class Pins:
    target: Target
    lock_path: Path
    pins: tuple[str, ...]  # "numpy==2.5.5", ...

    def describe(self) -> str:
        rel = self.lock_path.relative_to(REPO)
        return f"{self.target.key} (`{rel}`): " + ", ".join(f"`{p}`" for p in self.pins)


def pins_for(runtime: str, arch: str) -> Pins:
    """The committed lock both sides install from; refuses a stale lock like the tool does."""
    target = get_target(runtime, arch)
    recipe = find_recipe(RECIPE, [REPO / "recipes"])
    locked, path = lock.load_fresh(recipe, target)
    pins = tuple(f"{p.name}=={p.version}" for p in sorted(locked.packages, key=lambda p: p.name))
    return Pins(target=target, lock_path=path, pins=pins)


def run(
    argv: Sequence[str | Path], *, what: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> str:
    done = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, env=env, cwd=cwd, check=False
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr.strip() or done.stdout.strip()).splitlines()[-15:])
        raise StepFailed(f"{what} exited with {done.returncode}:\n{tail}")
    return done.stdout


def timed(
    argv: Sequence[str | Path], *, what: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, str]:
    start = time.perf_counter()
    out = run(argv, what=what, env=env, cwd=cwd)
    return time.perf_counter() - start, out


# ---------------------------------------------------------------- wheels without the network


def pip_cache_bytes() -> int:
    """Bytes in pip's HTTP cache: tells whether a warm-up actually warmed anything."""
    folder = Path(run([*pipcmd.pip(), "cache", "dir"], what="pip cache dir").strip())
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def download_wheels(pins: Pins, wheelhouse: Path) -> None:
    """The warm-up: fetch the locked wheels (hash-checked) once, so later installs skip the network."""
    run(
        [
            *pipcmd.pip(),
            "download",
            "--quiet",
            "--no-deps",
            "--require-hashes",
            "--dest",
            wheelhouse,
            *pipcmd.for_target(pins.target),
            "--requirement",
            pins.lock_path,
        ],
        what=f"pip download for {pins.target.key}",
    )


def offline_env(wheelhouse: Path | None) -> dict[str, str]:
    """Environment for every measured pip (ours and the tool's): the local wheels only, when given.

    pip's configuration may be given by environment variables, and layer-builder honours it, so
    the same two variables point both sides at the same folder.
    """
    env = dict(os.environ)
    if wheelhouse is not None:
        env["PIP_NO_INDEX"] = "1"
        env["PIP_FIND_LINKS"] = str(wheelhouse)
    return env


# ---------------------------------------------------------------- the naive baseline


def pip_target_install(pins: Pins, site: Path, *, compile_host: bool, env: Mapping[str, str]) -> float:
    """`pip install --target` of the same pins; pip compiles host bytecode unless told not to."""
    argv: list[str | Path] = [
        *pipcmd.pip(),
        "install",
        "--quiet",
        "--no-deps",
        "--require-hashes",
        "--target",
        site,
        *pipcmd.for_target(pins.target),
        "--requirement",
        pins.lock_path,
    ]
    if not compile_host:
        argv.insert(argv.index("--target"), "--no-compile")
    seconds, _ = timed(argv, what=f"pip install --target for {pins.target.key}", env=env)
    return seconds


def zip_folder(parent: Path, name: str, destination: Path) -> float:
    """What the AWS docs tell people to do: `zip -r9 layer.zip python`."""
    seconds, _ = timed(["zip", "-r9", "-q", destination, name], what="zip -r9", cwd=parent)
    return seconds


def zip_stats(path: Path) -> ZipStats:
    with zipfile.ZipFile(path) as archive:
        files = [info for info in archive.infolist() if not info.is_dir()]
    return ZipStats(
        zipped_bytes=path.stat().st_size,
        unzipped_bytes=sum(info.file_size for info in files),
        file_count=len(files),
    )


def zip_entries(path: Path) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as archive:
        return [info for info in archive.infolist() if not info.is_dir()]


# ---------------------------------------------------------------- layer-builder


@dataclass(frozen=True)
class Checkout:
    """A revision of layer-builder to run: its folder (recipes, locks) and the Python it is installed in."""

    root: Path
    python: Path
    label: str


def baseline_checkout(revision: str, work: Path) -> Checkout:
    """`revision` of this repository in a worktree under work, installed into a venv of its own."""
    folder = work / "baseline"
    run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "--force", str(folder), revision],
        what="git worktree",
    )
    commit = run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], what="git rev-parse").strip()
    run([sys.executable, "-m", "venv", str(folder / ".venv")], what="baseline venv")
    python = folder / ".venv" / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", "-U", "pip"], what="baseline pip")
    # Editable, like this checkout's own install: both then compile their modules the same way.
    run([str(python), "-m", "pip", "install", "-q", "-e", str(folder)], what="baseline install")
    return Checkout(root=folder, python=python, label=f"{revision} ({commit})")


def remove_baseline(work: Path) -> None:
    run(
        ["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "baseline")], what="git worktree"
    )


@dataclass(frozen=True)
class ToolBuild:
    seconds: float
    zip_path: Path
    cached: bool
    manifest: dict[str, Any]


def tool_build(
    pins: Pins,
    output: Path,
    flags: Sequence[str],
    env: Mapping[str, str],
    checkout: Checkout | None = None,
    *,
    recipe: str = RECIPE,
    python: str | None = None,
) -> ToolBuild:
    """`layer-builder build` as a user runs it; --json so the result is read, not scraped.

    `checkout`: another revision of layer-builder with its own environment (a baseline); by default
    this one. The manifest is read as plain JSON, so a baseline of an older schema reads too.
    `python`: passed as `--python`, an interpreter command for the target run exactly as given.
    """
    checkout = checkout or Checkout(root=REPO, python=Path(sys.executable), label="this checkout")
    if python is not None:
        flags = [*flags, "--python", python]
    argv = [
        str(checkout.python),
        "-m",
        "builder",
        "build",
        recipe,
        "-r",
        pins.target.runtime.name,
        "-a",
        pins.target.arch.name,
        "-o",
        str(output),
        "--json",
        *flags,
    ]
    seconds, out = timed(
        argv,
        what=f"layer-builder build {recipe} {pins.target.key} {' '.join(flags)}",
        env=env,
        cwd=checkout.root,
    )
    try:
        layer = json.loads(out)["layers"][0]
    except (ValueError, KeyError, IndexError) as exc:
        raise StepFailed(f"layer-builder printed no layer in its --json output:\n{out[-2000:]}") from exc
    return ToolBuild(
        seconds=seconds, zip_path=Path(layer["zip"]), cached=bool(layer["cached"]), manifest=layer["manifest"]
    )


# ---------------------------------------------------------------- scratch space


def make_writable(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, f) for f in files)]:
            mode = os.lstat(name).st_mode
            if not stat.S_ISLNK(mode):
                os.chmod(name, mode | stat.S_IWUSR)


def make_read_only(root: Path) -> None:
    """chmod -R a-w, like Lambda's /opt. (root ignores it; the -B flag is what stops pyc writes.)"""
    for folder, _, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, f) for f in files)]:
            mode = os.lstat(name).st_mode
            if not stat.S_ISLNK(mode):
                os.chmod(name, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temp folder that is removed afterwards, read-only copies inside it included."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        make_writable(folder)
        shutil.rmtree(folder, ignore_errors=True)
