"""The embedded local backend: locked wheels installed on this machine, interpreters found on it.

Only wheels: a locked sdist needs the docker backend (builder/build/backends/docker.py).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from builder import manifest
from builder.build import install
from builder.build.backends.base import Notify, Session
from builder.build.lock import Lock
from builder.errors import ConfigError
from builder.interpreters import locate as interpreters
from builder.interpreters.run import LocalPython, PythonRunner
from builder.runtimes import Target


@dataclass(frozen=True, kw_only=True)
class LocalSession:
    target: Target
    bytecode_python: PythonRunner | None
    smoke_python: PythonRunner | None
    why_no_bytecode: str
    why_no_smoke: str

    def install(self, lock: Lock, lock_path: Path, site: Path, indexes: manifest.PackageIndexes) -> None:
        refuse_sdists(lock, self.target)
        install.install_locked(lock_path, self.target, site, indexes)

    def bundle_system_libraries(self, names: Sequence[str], lib_dir: Path) -> None:
        # This machine's libraries are not Amazon Linux's: only the build image has the right ones.
        raise ConfigError(
            f"the recipe bundles system libraries ({', '.join(names)}), which come from the build image",
            hint="build with --backend docker",
        )


@dataclass(frozen=True)
class LocalBackend:
    """This machine. Opening a session costs nothing: interpreter discovery was done up front."""

    session: LocalSession
    starting: str | None = None

    @property
    def name(self) -> manifest.Backend:
        return "local"

    @property
    def build_image(self) -> str | None:
        return None

    def fingerprint(self) -> dict[str, str | None]:
        """What of the local backend changes a layer: the interpreters that compile and smoke-test it."""

        def describe(python: PythonRunner | None) -> str | None:
            return f"{python.label} {python.version} {python.machine} {python.method}" if python else None

        return {
            "backend": "local",
            "compiler": describe(self.session.bytecode_python),
            "runner": describe(self.session.smoke_python),
        }

    def open(self, work: Path, notify: Notify, output: Notify) -> AbstractContextManager[Session]:
        return nullcontext(self.session)


def local_backend(
    target: Target, python: Sequence[str] | None, env: Mapping[str, str] | None = None
) -> LocalBackend:
    return LocalBackend(local_session(target, python, env))


def local_session(
    target: Target, python: Sequence[str] | None, env: Mapping[str, str] | None = None
) -> LocalSession:
    """Interpreters for bytecode (the target's version) and the smoke test (also its machine)."""
    version, machine = target.runtime.python, target.arch.machine
    if python is not None:
        _check_override(tuple(python), version)
    compiler = interpreters.find(version, machine=None, override=python, env=env)
    runner = interpreters.find(version, machine=machine, override=python, env=env)
    return LocalSession(
        target=target,
        bytecode_python=LocalPython(compiler.found) if compiler.found else None,
        smoke_python=LocalPython(runner.found) if runner.found else None,
        why_no_bytecode=f"no Python {version} found ({compiler.describe()}); pass --python",
        why_no_smoke=interpreters.not_found(version, machine, runner, env),
    )


def _check_override(command: tuple[str, ...], version: str) -> None:
    """--python must be a working Python of the target version; say what it answered otherwise."""
    answer = interpreters.ask(command)
    found = answer.interpreter
    if found is not None and found.version == version:
        return
    raise ConfigError(
        f"--python {shlex.join(command)} is not a working Python {version} interpreter: {answer.said}",
        hint=(
            f"name a python{version} executable, a wrapper script or a launcher command "
            "(e.g. 'qemu-aarch64-static -L ROOT ROOT/usr/bin/python3.13'), "
            "or leave --python out to search PATH, pyenv, uv and the configured commands"
        ),
    )


def refuse_sdists(lock: Lock, target: Target) -> None:
    """The local backend installs wheels only; a locked sdist must be built in the container."""
    sources = [p for p in lock.packages if p.filename and not p.filename.endswith(".whl")]
    if sources:
        names = ", ".join(f"{p.name}=={p.version} ({p.filename})" for p in sources)
        raise install.no_wheel_error(f"{names}:", target)
