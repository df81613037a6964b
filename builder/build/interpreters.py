"""Finding a Python interpreter of the target's version, to compile bytecode and run smoke tests.

Bytecode only needs the same Python version (it is architecture independent); the smoke test
needs the same version *and* machine. Nothing here assumes the user has pyenv or uv: each is
one more place to look.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from builder import proc

PROBE = "import sys, platform; print(sys.version_info[0], sys.version_info[1], platform.machine(), sys.executable)"


@dataclass(frozen=True, kw_only=True)
class Interpreter:
    path: Path
    version: str  # "3.12"
    machine: str  # "x86_64" / "aarch64"


@dataclass(frozen=True, kw_only=True)
class Search:
    found: Interpreter | None
    looked_at: tuple[str, ...]

    def describe(self) -> str:
        return ", ".join(self.looked_at) or "nowhere"


@cache
def probe(path: Path) -> Interpreter | None:
    """Ask an executable which Python it is; None if it is not a working interpreter.

    Cached: a build asks twice (bytecode and smoke test) and a probe costs a process start.
    """
    done = proc.probe([path, "-I", "-c", PROBE])
    answer = parse_probe(done.stdout) if done is not None and done.ok else None
    if answer is None:
        return None
    version, machine, executable = answer
    # sys.executable, not `path`: a pyenv shim or a venv link resolves to the real interpreter.
    return Interpreter(path=Path(executable), version=version, machine=machine)


def parse_probe(output: str) -> tuple[str, str, str] | None:
    """(version "3.12", machine, sys.executable) from PROBE's output; None if it is not that."""
    parts = output.split(maxsplit=3)
    if len(parts) != 4 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return f"{parts[0]}.{parts[1]}", parts[2], parts[3].strip()


def candidates(version: str, env: Mapping[str, str]) -> list[tuple[str, Path]]:
    """Places a Python `version` may live, in the order we trust them."""
    found: list[tuple[str, Path]] = []
    pyenv_root = Path(env.get("PYENV_ROOT") or Path(env.get("HOME", "~")).expanduser() / ".pyenv")
    on_path = shutil.which(f"python{version}", path=env.get("PATH"))
    # A pyenv shim is a shell script that costs a quarter second and fails unless that version is
    # selected; the pyenv versions themselves are looked at next.
    if on_path and Path(on_path).parent != pyenv_root / "shims":
        found.append(("PATH", Path(on_path)))
    versions = pyenv_root / "versions"
    if versions.is_dir():
        for folder in sorted(versions.glob(f"{version}.*"), reverse=True):
            found.append(("pyenv", folder / "bin" / f"python{version}"))
    # The interpreter running layer-builder, when it happens to be the target's version.
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        found.append(("this interpreter", Path(sys.executable)))
    uv = shutil.which("uv", path=env.get("PATH"))
    if uv:
        done = proc.probe([uv, "python", "find", version])
        if done is not None and done.ok and done.stdout.strip():
            found.append(("uv", Path(done.stdout.strip())))
    return found


def find(
    version: str, *, machine: str | None, override: Path | None, env: Mapping[str, str] | None = None
) -> Search:
    """The first interpreter of `version` (and `machine`, when given) that actually runs."""
    env = os.environ if env is None else env
    places = [("--python", override)] if override is not None else candidates(version, env)
    looked: list[str] = []
    for where, path in places:
        looked.append(f"{where}: {path}")
        interpreter = probe(path)
        if interpreter is None or interpreter.version != version:
            continue
        if machine is not None and interpreter.machine != machine:
            continue
        return Search(found=interpreter, looked_at=tuple(looked))
    return Search(found=None, looked_at=tuple(looked))
