"""Where a build's install, bytecode and smoke test run: this machine (local) or a container (docker).

This module has the local backend and what both share; builder/docker_backend.py has the other,
imported only when asked for, so the local path never loads the docker SDK.

Both backends run the same pipeline (builder/build.py); minimize, ELF checks, size and packaging
always run on the host. A backend only answers: install these locked wheels into this folder, and
which Python compiles bytecode and runs the smoke test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from builder import install, interpreters
from builder.errors import ConfigError
from builder.lock import Lock
from builder.pythons import LocalPython, PythonRunner
from builder.runtimes import Target


class Session(Protocol):
    """One build's access to a backend, for the lifetime of its scratch folder."""

    @property
    def bytecode_python(self) -> PythonRunner | None: ...
    @property
    def smoke_python(self) -> PythonRunner | None: ...
    @property
    def why_no_bytecode(self) -> str: ...
    @property
    def why_no_smoke(self) -> str: ...

    def install(self, lock: Lock, lock_path: Path, site: Path) -> None: ...


@dataclass(frozen=True, kw_only=True)
class DockerSettings:
    base_image: str | None = None  # default: the runtime's build image
    network: str | None = "host"
    keep_container: bool = False
    docker_host: str | None = None


# ---------------------------------------------------------------- local


@dataclass(frozen=True, kw_only=True)
class LocalSession:
    target: Target
    bytecode_python: PythonRunner | None
    smoke_python: PythonRunner | None
    why_no_bytecode: str
    why_no_smoke: str

    def install(self, lock: Lock, lock_path: Path, site: Path) -> None:
        refuse_sdists(lock, self.target)
        install.install_locked(lock_path, self.target, site)


def local_fingerprint(session: LocalSession) -> dict[str, str | None]:
    """What of the local backend changes a layer: the interpreters that compile and smoke-test it."""

    def describe(python: PythonRunner | None) -> str | None:
        return f"{python.label} {python.version} {python.machine}" if python else None

    return {
        "backend": "local",
        "compiler": describe(session.bytecode_python),
        "runner": describe(session.smoke_python),
    }


def local_session(target: Target, python: Path | None) -> LocalSession:
    version, machine = target.runtime.python, target.arch.machine
    compiler = interpreters.find(version, machine=None, override=python)
    runner = interpreters.find(version, machine=machine, override=python)
    if python is not None and compiler.found is None:
        raise ConfigError(
            f"--python {python} is not a working Python {version} interpreter",
            hint=f"name the python{version} executable, or leave --python out to search PATH, pyenv and uv",
        )
    return LocalSession(
        target=target,
        bytecode_python=LocalPython(compiler.found) if compiler.found else None,
        smoke_python=LocalPython(runner.found) if runner.found else None,
        why_no_bytecode=f"no Python {version} found ({compiler.describe()}); pass --python",
        why_no_smoke=f"no Python {version} for {machine} found ({runner.describe()})",
    )


def refuse_sdists(lock: Lock, target: Target) -> None:
    """The local backend installs wheels only; a locked sdist must be built in the container."""
    sources = [p for p in lock.packages if p.filename and not p.filename.endswith(".whl")]
    if sources:
        names = ", ".join(f"{p.name}=={p.version} ({p.filename})" for p in sources)
        raise install.no_wheel_error(f"{names}:", target)
