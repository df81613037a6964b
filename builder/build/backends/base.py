"""What the pipeline needs of a backend, and the docker backend's settings.

Both backends run the same pipeline (builder/build/pipeline.py); minimize, ELF checks, size and
packaging always run on the host. A backend only answers: install these locked wheels into this
folder, which Python compiles bytecode and runs the smoke test, and what the manifest says of it.
backends/choice.py picks one; it imports the docker backend (backends/docker.py) only when asked
for, so the local path never loads the docker SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from builder import manifest
from builder.build.lock import Lock
from builder.interpreters.run import PythonRunner


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

    def install(self, lock: Lock, lock_path: Path, site: Path, indexes: manifest.PackageIndexes) -> None: ...

    def bundle_system_libraries(self, names: Sequence[str], lib_dir: Path) -> None:
        """Copy these libraries of the build image, with their license files, into lib_dir."""
        ...


Notify = Callable[[str], None]


class Backend(Protocol):
    """A way to build: its name and build image for the manifest, what of it changes a layer (the
    cache key), and a session for one build. backends/choice.py picks one by name."""

    @property
    def name(self) -> manifest.Backend: ...  # as the manifest records it

    @property
    def build_image(self) -> str | None: ...  # the image it builds in; None on this machine

    @property
    def starting(self) -> str | None: ...  # what opening a session does, when it takes a while

    def fingerprint(self) -> dict[str, str | None]: ...

    def open(self, work: Path, notify: Notify, output: Notify) -> AbstractContextManager[Session]: ...


@dataclass(frozen=True, kw_only=True)
class DockerSettings:
    base_image: str | None = None  # default: the runtime's build image
    network: str | None = "host"
    keep_container: bool = False
    docker_host: str | None = None
