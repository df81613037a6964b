"""The seams of a build without pip or a container, for the pipeline tests and the fakebuild.py
driver: a resolver that pins one pure-Python `demo` wheel, a backend that opens a given session,
and the session's part that runs bytecode and the smoke test with this interpreter. Each caller's
session writes its own `demo` tree into the site."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from builder import manifest
from builder.build.backends.base import Notify, Session
from builder.build.lock import LockedPackage
from builder.interpreters.run import PythonRunner
from builder.manifest import PackageIndexes
from builder.runtimes import Target, host_machine

# The target this interpreter can stand in for: its Python version on this machine's architecture.
HOST_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"
ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}[host_machine()]


@dataclass(frozen=True, kw_only=True)
class ThisPython:
    """A session's interpreters: this one compiles bytecode and runs the smoke test."""

    python: PythonRunner
    why_no_bytecode: str = ""
    why_no_smoke: str = ""

    @property
    def bytecode_python(self) -> PythonRunner:
        return self.python

    @property
    def smoke_python(self) -> PythonRunner:
        return self.python


class PythonSession(Session, Protocol):
    @property
    def python(self) -> PythonRunner: ...


S = TypeVar("S", bound=PythonSession)


@dataclass(frozen=True)
class FakeBackend(Generic[S]):
    session: S
    starting: str | None = None
    name: manifest.Backend = "local"  # what the manifest records
    build_image: str | None = None

    def fingerprint(self) -> dict[str, str | None]:
        return {"backend": "fake", "python": self.session.python.label}

    def open(self, work: Path, notify: Notify, output: Notify) -> AbstractContextManager[Session]:
        return nullcontext(self.session)


class DemoResolver:
    """Pins `demo` 1.0, whatever the requirements say."""

    def resolve(
        self, requirements: Sequence[str], target: Target, indexes: PackageIndexes
    ) -> list[LockedPackage]:
        return [
            LockedPackage(
                name="demo",
                version="1.0",
                sha256="0" * 64,
                filename="demo-1.0-py3-none-any.whl",
                requested=True,
            )
        ]
