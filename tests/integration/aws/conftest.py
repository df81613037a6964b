"""A moto server on 127.0.0.1 for the whole session, reset before each test, and the environment
that points the real CLI at it (AWS_ENDPOINT_URL, dummy credentials)."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

# The helper module sits next to this file; the tests use --import-mode=importlib, so load it by path.
_spec = importlib.util.spec_from_file_location("lb_motoserver", Path(__file__).with_name("motoserver.py"))
assert _spec is not None and _spec.loader is not None
motoserver = importlib.util.module_from_spec(_spec)
sys.modules["lb_motoserver"] = motoserver
_spec.loader.exec_module(motoserver)

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
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_CONFIG_FILE", "/nonexistent")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
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


@pytest.fixture(scope="session")
def tools() -> SimpleNamespace:
    """For module-scoped fixtures, which cannot use the function-scoped ones above."""
    return SimpleNamespace(environment=aws_environment, Cli=Cli, Seed=motoserver.Seed)
