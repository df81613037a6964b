"""The embedded local backend: locked wheels installed on this machine, interpreters found on it.

Only wheels: a locked sdist needs the docker backend (builder/build/backends/docker.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.build import install, interpreters
from builder.build.lock import Lock
from builder.build.pythons import LocalPython, PythonRunner
from builder.errors import ConfigError
from builder.runtimes import Target


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

    def bundle_system_libraries(self, names: Sequence[str], lib_dir: Path) -> None:
        # This machine's libraries are not Amazon Linux's: only the build image has the right ones.
        raise ConfigError(
            f"the recipe bundles system libraries ({', '.join(names)}), which come from the build image",
            hint="build with --backend docker",
        )


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
