"""Commands in the container: who runs them, their streamed output, and failures."""

from __future__ import annotations

import os

import pytest
import requests.exceptions

from builder.engine.container import DISK_FIX, BuildContainer
from builder.errors import ContainerError


@pytest.fixture
def container(client):
    with BuildContainer(client, image="build:1", platform="linux/amd64", user="1000:1000") as box:
        yield box


def exec_request(engine) -> tuple[list[str], dict]:
    (_, _, argv, kwargs) = engine.named("exec_create")[-1]
    return argv, kwargs


def test_runs_as_the_invoking_host_user_by_default(client, engine, monkeypatch) -> None:
    # Pretend to be an ordinary user, so the default cannot pass by being root by accident.
    monkeypatch.setattr(os, "getuid", lambda: 1234)
    monkeypatch.setattr(os, "getgid", lambda: 5678)

    with BuildContainer(client, image="build:1", platform="linux/amd64") as box:
        box.run(["touch", "/out/file"], step="install")

    _, kwargs = exec_request(engine)
    assert kwargs["user"] == "1234:5678"
    # A uid with no passwd entry in the image still needs a writable HOME for pip.
    assert kwargs["environment"]["HOME"] == "/tmp"


def test_setup_steps_can_run_as_root_with_roots_home(container, engine) -> None:
    container.run(["dnf", "install", "-y", "zip"], step="setup", user="0")

    argv, kwargs = exec_request(engine)
    assert argv[-4:] == ["dnf", "install", "-y", "zip"]
    assert kwargs["user"] == "0"
    assert "HOME" not in kwargs["environment"]


def test_home_given_for_the_container_is_respected(client, engine) -> None:
    env = {"HOME": "/work/home"}
    with BuildContainer(client, image="build:1", platform="linux/amd64", user="1000", env=env) as box:
        box.run(["pip", "--version"], step="install")

    _, kwargs = exec_request(engine)
    assert "HOME" not in kwargs["environment"]  # the container's own HOME applies


def test_per_command_env_and_workdir_reach_the_engine(container, engine) -> None:
    container.run(["python3", "-c", "pass"], step="compile", env={"PYTHONHASHSEED": "0"}, workdir="/out")

    _, kwargs = exec_request(engine)
    assert kwargs["environment"]["PYTHONHASHSEED"] == "0"
    assert kwargs["workdir"] == "/out"


def test_stderr_is_merged_into_stdout_inside_the_container(container, engine) -> None:
    # Two pipes would let the engine reorder an error before the output that led to it.
    container.run(["pip", "install", "my pkg"], step="install")

    argv, _ = exec_request(engine)
    assert argv[:3] == ["/bin/sh", "-c", 'exec "$@" 2>&1']
    assert argv[4:] == ["pip", "install", "my pkg"]


def test_output_is_streamed_as_whole_lines(container, engine) -> None:
    # Chunks split lines, CRLF endings and a two-byte character at arbitrary places.
    engine.will_run(b"Collecting num", b"py\r\nDownloading \xc3", b"\xa9t\xc3\xa9\nInstalled", b" numpy")
    lines: list[str] = []

    output = container.run(["pip", "install", "numpy"], step="install", on_output=lines.append)

    assert lines == ["Collecting numpy", "Downloading été", "Installed numpy"]
    assert output == "Collecting numpy\r\nDownloading été\nInstalled numpy"


def test_invalid_utf8_does_not_break_the_stream(container, engine) -> None:
    engine.will_run(b"bad \xff byte\n")
    lines: list[str] = []

    container.run(["cat", "blob"], step="install", on_output=lines.append)

    assert lines == ["bad \ufffd byte"]


def test_failure_names_the_step_status_and_last_20_lines(container, engine) -> None:
    output = "".join(f"line {n}\n" for n in range(1, 31)).encode()
    engine.will_run(output, b"error: could not build wheel\n", exit_code=3)

    with pytest.raises(ContainerError) as caught:
        container.run(["pip", "wheel", "pkg"], step="install", on_output=lambda _: None)

    error = caught.value
    assert error.step == "install"
    assert error.exit_code == 8
    lines = str(error).splitlines()
    assert (
        lines[0] == "install: `pip wheel pkg` exited with status 3 in the container; last 20 lines of output:"
    )
    assert lines[1:21] == [f"    line {n}" for n in range(12, 31)] + ["    error: could not build wheel"]
    assert "--keep-container" in lines[21]


def test_failure_with_no_output_says_so(container, engine) -> None:
    engine.will_run(exit_code=1)

    with pytest.raises(ContainerError, match=r"exited with status 1 in the container \(no output\)"):
        container.run(["false"], step="verify")


def test_failure_in_a_kept_container_says_how_to_get_in(client, engine) -> None:
    engine.will_run(b"oops\n", exit_code=2)
    kept = BuildContainer(client, image="b:1", platform="linux/amd64", keep=True, notify=lambda _: None)
    with kept as box, pytest.raises(ContainerError) as caught:
        box.run(["false"], step="verify")

    assert f"docker exec -it {box.name} sh" in str(caught.value)


def test_full_disk_inside_the_container_gets_the_disk_fix(container, engine) -> None:
    engine.will_run(b"OSError: [Errno 28] No space left on device: '/out/numpy'\n", exit_code=1)

    with pytest.raises(ContainerError) as caught:
        container.run(["pip", "install", "numpy"], step="install")

    assert caught.value.hint == DISK_FIX
    assert "docker system prune" in str(caught.value)


def test_engine_lost_during_a_command_names_the_step(container, engine) -> None:
    engine.exec_error = requests.exceptions.ConnectionError("connection reset")

    with pytest.raises(ContainerError) as caught:
        container.run(["pip", "install", "numpy"], step="install")

    assert str(caught.value).startswith("install: lost the Docker engine")


def test_ctrl_c_while_streaming_removes_the_container(client, engine) -> None:
    engine.will_run(b"Collecting numpy\n", b"Downloading\n")

    def interrupt(_line: str) -> None:
        raise KeyboardInterrupt

    with (
        pytest.raises(KeyboardInterrupt),
        BuildContainer(client, image="b:1", platform="linux/amd64") as box,
    ):
        box.run(["pip", "install", "numpy"], step="install", on_output=interrupt)

    assert engine.existing == set()
