"""A moto server on 127.0.0.1 for the whole session, reset before each test, and the environment
that points the real CLI at it (AWS_ENDPOINT_URL, dummy credentials)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from support import motoserver
from typer.testing import CliRunner

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[Any]:
    server = motoserver.LambdaMotoServer()
    server.start()
    yield server
    server.stop()


@contextmanager
def aws_environment(server: Any) -> Iterator[None]:
    """Point every boto3 client at the moto server with dummy credentials and no user config."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
            patch.delenv(name, raising=False)
        for name, value in motoserver.fake_aws_env(server.url, REGION).items():
            patch.setenv(name, value)
        yield


@pytest.fixture
def server(moto_server: Any) -> Iterator[Any]:
    """The moto server, emptied, with the environment pointing at it for this test."""
    moto_server.reset()
    with aws_environment(moto_server):
        yield moto_server


@pytest.fixture
def seed(server: Any) -> Any:
    return motoserver.Seed(server.url, REGION)


class Cli:
    """Runs the real `layer-builder` app in-process, like a user would from a shell."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Any:
        from builder.cli import app

        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)

    def json(self, *args: str, expect: int = 0) -> dict[str, Any]:
        result = self(*args, "--json")
        assert result.exit_code == expect, result.stdout + result.stderr
        data: dict[str, Any] = json.loads(result.stdout)
        return data


@pytest.fixture
def cli(server: Any) -> Cli:
    return Cli()


class CliProcess:
    """The real CLI in a process of its own (`python -m builder ...`), for what needs one: a
    signal, or a prompt that waits while the test changes the account."""

    # The CLI as `python -m builder`, with every thread's stack written to stderr on SIGUSR1
    # (faulthandler), so a test that finds it hanging can show where.
    LAUNCH = (
        "import faulthandler, runpy, signal, sys; "
        "faulthandler.register(signal.SIGUSR1, all_threads=True); "
        "sys.argv[0] = 'layer-builder'; runpy.run_module('builder', run_name='__main__', alter_sys=True)"
    )

    def __init__(self, args: tuple[str, ...], *, stdin: Any = subprocess.PIPE) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", self.LAUNCH, *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        self.output = {"stdout": bytearray(), "stderr": bytearray()}
        self.changed = threading.Condition()
        self.readers = [
            threading.Thread(target=self._read, args=(name,), daemon=True) for name in self.output
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str) -> None:
        stream = getattr(self.process, name)
        while chunk := stream.read1(65536):
            with self.changed:
                self.output[name] += chunk
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def text(self, name: str) -> str:
        with self.changed:
            return self.output[name].decode(errors="replace")

    def wait_for(self, text: str, name: str = "stderr", timeout: float = 120) -> None:
        """Until `text` appears on stdout or stderr; fails if the process ends first. The timeout
        only keeps a broken run from hanging the suite."""
        with self.changed:
            found = self.changed.wait_for(
                lambda: text in self.output[name].decode(errors="replace") or self.process.poll() is not None,
                timeout=timeout,
            )
        assert found and text in self.text(name), (
            f"{text!r} never came:\n{self.text('stdout')}{self.text('stderr')}"
        )

    def answer(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def stacks(self, wait: float = 2.0) -> str:
        """Every thread's stack of a process that still runs (empty if it has ended)."""
        if self.process.poll() is not None:
            return ""
        before = len(self.text("stderr"))
        self.process.send_signal(signal.SIGUSR1)
        time.sleep(wait)
        return self.text("stderr")[before:]

    def finish(self, timeout: float = 300) -> tuple[int, str, str]:
        code = self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=timeout)
        return code, self.text("stdout"), self.text("stderr")


@pytest.fixture
def cli_process(server: Any) -> Iterator[Any]:
    """Start the CLI in its own process; any still running at the end of the test is killed."""
    started: list[CliProcess] = []

    def start(*args: str, stdin: Any = subprocess.PIPE) -> CliProcess:
        started.append(CliProcess(args, stdin=stdin))
        return started[-1]

    yield start
    for process in started:
        if process.process.poll() is None:
            process.process.kill()
            process.process.wait()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every (service, operation) the publish makes through builder.aws's clients."""
    from builder import aws

    made: list[tuple[str, str]] = []
    real = aws.client

    def observed(*args: Any, **kwargs: Any) -> Any:
        client = real(*args, **kwargs)
        service = client.meta.service_model.service_name
        client.meta.events.register("before-call", lambda model, **_: made.append((service, model.name)))
        return client

    monkeypatch.setattr(aws, "client", observed)
    return made


@contextmanager
def seeded(server: Any, region: str, build: Callable[[Any], object]) -> Iterator[tuple[Any, Cli]]:
    """The server reset, the environment pointing at it, `build(seed)` run on it; the seed and a CLI."""
    server.reset()
    with aws_environment(server):
        seed = motoserver.Seed(server.url, region)
        build(seed)
        yield seed, Cli()


@pytest.fixture(scope="session")
def tools() -> SimpleNamespace:
    """For module-scoped fixtures, which cannot use the function-scoped ones above."""
    return SimpleNamespace(Seed=motoserver.Seed, seeded=seeded)
