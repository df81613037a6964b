"""Reaching the engine: the two ways it fails for a user, each with its fix."""

from __future__ import annotations

import socket
from pathlib import Path

import docker
import docker.errors
import pytest

from builder.engine.container import connect
from builder.errors import ContainerError


def test_no_engine_at_the_socket_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(ContainerError) as caught:
        connect(f"unix://{tmp_path}/docker.sock")

    message = str(caught.value)
    assert message.startswith(f"docker: no Docker engine answering at unix://{tmp_path}/docker.sock")
    assert "No such file or directory" in message
    assert "tests/docker_engine.sh up" in message
    assert "DOCKER_HOST" in message
    assert caught.value.exit_code == 8


def test_socket_with_nothing_listening_is_no_engine(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))  # bound, never listening: what a crashed daemon leaves behind

        with pytest.raises(ContainerError, match="Connection refused"):
            connect(f"unix://{path}")


def test_permission_denied_says_to_join_the_docker_group(monkeypatch) -> None:
    def refuse(**_kwargs):
        try:
            raise PermissionError(13, "Permission denied")
        except PermissionError as denied:
            raise docker.errors.DockerException("Error while fetching server API version") from denied

    monkeypatch.setattr(docker, "DockerClient", refuse)

    with pytest.raises(ContainerError) as caught:
        connect("unix:///var/run/docker.sock")

    message = str(caught.value)
    assert "permission denied on the Docker engine socket at unix:///var/run/docker.sock" in message
    assert "usermod -aG docker" in message


def test_without_an_address_the_error_names_docker_host(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/elsewhere.sock")

    with pytest.raises(
        ContainerError, match=f"no Docker engine answering at unix://{tmp_path}/elsewhere.sock"
    ):
        connect()
