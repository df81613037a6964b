"""An in-memory stand-in for the docker SDK client: records what the wrapper asks of the engine.

Only the calls builder/engine/container.py makes are implemented. Tests script the engine's answers
(exec output and exit codes, images present, failures) and then look at `engine.calls`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import docker.errors
import pytest


@dataclass
class FakeImage:
    id: str
    attrs: dict[str, Any]


@dataclass
class FakeExec:
    chunks: list[bytes]
    exit_code: int = 0


@dataclass
class FakeContainer:
    engine: FakeEngine
    name: str
    start_error: Exception | None = None

    def start(self) -> None:
        self.engine.calls.append(("start", self.name))
        if self.start_error is not None:
            raise self.start_error
        self.engine.running.add(self.name)


class FakeContainers:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def create(self, image: str, **kwargs: Any) -> FakeContainer:
        self.engine.calls.append(("create", image, kwargs))
        if self.engine.create_error is not None:
            raise self.engine.create_error
        self.engine.existing.add(kwargs["name"])
        return FakeContainer(self.engine, kwargs["name"], self.engine.start_error)


class FakeImages:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def get(self, name: str) -> FakeImage:
        self.engine.calls.append(("get_image", name))
        if name not in self.engine.images:
            raise docker.errors.ImageNotFound(f"No such image: {name}", explanation=f"No such image: {name}")
        return self.engine.images[name]

    def pull(self, name: str, platform: str | None = None) -> FakeImage:
        self.engine.calls.append(("pull", name, platform))
        if self.engine.pull_error is not None:
            raise self.engine.pull_error
        image = FakeImage(f"sha256:pulled-{name}", {"Os": "linux", "Architecture": platform.split("/")[1]})
        self.engine.images[name] = image
        return image


class FakeAPI:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def exec_create(self, container: str, cmd: list[str], **kwargs: Any) -> dict[str, str]:
        self.engine.calls.append(("exec_create", container, cmd, kwargs))
        if self.engine.exec_error is not None:
            raise self.engine.exec_error
        return {"Id": f"exec-{len(self.engine.calls)}"}

    def exec_start(self, exec_id: str, stream: bool) -> Iterator[bytes]:
        self.engine.current_exec = self.engine.execs.pop(0) if self.engine.execs else FakeExec([])
        yield from self.engine.current_exec.chunks

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        return {"Running": False, "ExitCode": self.engine.current_exec.exit_code}

    def remove_container(self, name: str, force: bool = False, v: bool = False) -> None:
        self.engine.calls.append(("remove", name, force))
        if self.engine.remove_error is not None:
            raise self.engine.remove_error
        if name not in self.engine.existing:
            raise docker.errors.NotFound(f"No such container: {name}")
        self.engine.existing.discard(name)
        self.engine.running.discard(name)

    def build(self, **kwargs: Any) -> Iterator[dict[str, str]]:
        context = kwargs["fileobj"].read()
        self.engine.calls.append(("build", {**kwargs, "fileobj": context}))
        yield from self.engine.build_chunks
        if not any("error" in chunk for chunk in self.engine.build_chunks):
            self.engine.images[kwargs["tag"]] = FakeImage(
                "sha256:built", {"Os": "linux", "Architecture": kwargs["platform"].split("/")[1]}
            )


@dataclass
class FakeEngine:
    """The fake client: `containers`, `images` and `api` like docker.DockerClient."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    images: dict[str, FakeImage] = field(default_factory=dict)
    execs: list[FakeExec] = field(default_factory=list)
    build_chunks: list[dict[str, str]] = field(default_factory=list)
    existing: set[str] = field(default_factory=set)
    running: set[str] = field(default_factory=set)
    create_error: Exception | None = None
    start_error: Exception | None = None
    exec_error: Exception | None = None
    remove_error: Exception | None = None
    pull_error: Exception | None = None
    current_exec: FakeExec = field(default_factory=lambda: FakeExec([]))

    def __post_init__(self) -> None:
        self.containers = FakeContainers(self)
        self.api = FakeAPI(self)

    def named(self, kind: str) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == kind]

    def will_run(self, *chunks: bytes, exit_code: int = 0) -> None:
        """Scripts the output and exit code of the next exec."""
        self.execs.append(FakeExec(list(chunks), exit_code))

    def add_image(self, name: str, image_id: str, arch: str = "amd64") -> None:
        self.images[name] = FakeImage(image_id, {"Os": "linux", "Architecture": arch})


class FakeClient:
    """What builder.engine.container sees: `client.containers`, `client.images`, `client.api`."""

    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine
        self.containers = engine.containers
        self.images = FakeImages(engine)
        self.api = engine.api


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def client(engine: FakeEngine) -> FakeClient:
    return FakeClient(engine)
