"""The container wrapper against a real engine: output, failures, ownership, cleanup, platforms."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from builder.engine.container import can_run_platform, connect, open_container
from builder.errors import ContainerError

pytestmark = pytest.mark.docker

PLATFORM = "linux/amd64"


def standin_box(client, image: str, **kwargs):
    settings: dict = {"image": image, "platform": PLATFORM, "network": "none", "notify": lambda _: None}
    settings.update(kwargs)
    return open_container(client, **settings)


def test_command_output_is_streamed_and_returned(docker_client, standin_image) -> None:
    lines: list[str] = []

    with standin_box(docker_client, standin_image) as box:
        output = box.run(
            ["sh", "-c", "echo first; echo second >&2; python3 -c 'print(\"third\")'; echo fourth >&2"],
            step="probe",
            on_output=lines.append,
        )

    # In the order written, stderr included: the last lines of a failure must read as they happened.
    assert lines == ["first", "second", "third", "fourth"]
    assert output == "first\nsecond\nthird\nfourth\n"


def test_failing_command_names_the_step_and_shows_the_last_lines(docker_client, standin_image) -> None:
    script = "seq 1 40; echo 'ERROR: No matching distribution found for nopkg' >&2; exit 7"

    with standin_box(docker_client, standin_image) as box, pytest.raises(ContainerError) as caught:
        box.run(["sh", "-c", script], step="install")

    lines = str(caught.value).splitlines()
    assert lines[0].startswith("install: `sh -c ")
    assert "exited with status 7" in lines[0]
    assert lines[1:21] == [f"    {n}" for n in range(22, 41)] + [
        "    ERROR: No matching distribution found for nopkg"
    ]


def test_unknown_program_is_a_failed_step_not_a_crash(docker_client, standin_image) -> None:
    with standin_box(docker_client, standin_image) as box, pytest.raises(ContainerError) as caught:
        box.run(["no-such-program"], step="verify")

    assert str(caught.value).startswith("verify: `no-such-program` exited with status 127")
    assert "no-such-program: not found" in str(caught.value).split("\n", 1)[1]


def test_missing_image_is_reported_not_pulled(docker_client) -> None:
    with pytest.raises(ContainerError) as caught, standin_box(docker_client, "layer-builder-absent:1"):
        pass

    assert "image layer-builder-absent:1 is not present in the engine for linux/amd64" in str(caught.value)
    assert "docker load" in str(caught.value)


def test_stopped_engine_says_how_to_start_one(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))  # the socket file a dead daemon leaves: nothing listens

        with pytest.raises(ContainerError) as caught:
            connect(f"unix://{path}")

    assert f"no Docker engine answering at unix://{path}" in str(caught.value)
    assert "tests/docker_engine.sh up" in str(caught.value)


def test_files_written_in_a_mounted_folder_belong_to_the_invoking_user(
    docker_client, standin_image, tmp_path: Path, monkeypatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if os.getuid() == 0:
        # Running as root would pass by accident; act as an ordinary user owning the output folder.
        os.chown(out, 4321, 4321)
        monkeypatch.setattr(os, "getuid", lambda: 4321)
        monkeypatch.setattr(os, "getgid", lambda: 4321)
    uid, gid = os.getuid(), os.getgid()

    with standin_box(docker_client, standin_image, mounts=[(out, "/out", False)]) as box:
        box.run(
            ["sh", "-c", "mkdir /out/pkg && echo x > /out/pkg/mod.py && echo $HOME > /out/home"],
            step="install",
        )

    written = [out / "pkg", out / "pkg" / "mod.py", out / "home"]
    assert [(path.stat().st_uid, path.stat().st_gid) for path in written] == [(uid, gid)] * 3
    assert (out / "home").read_text() == "/tmp\n"


def test_read_only_mount_cannot_be_written(docker_client, standin_image, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("original")

    read_only = standin_box(docker_client, standin_image, mounts=[(tmp_path, "/in", True)])
    with read_only as box, pytest.raises(ContainerError, match="Read-only file system"):
        box.run(["sh", "-c", "echo changed > /in/keep.txt"], step="probe", user="0")

    assert (tmp_path / "keep.txt").read_text() == "original"


def test_container_is_removed_after_an_exception(docker_client, standin_image, container_exists) -> None:
    with pytest.raises(ValueError), standin_box(docker_client, standin_image) as box:
        assert container_exists(box.name)
        raise ValueError("pipeline bug")

    assert not container_exists(box.name)


def test_ctrl_c_during_a_long_command_removes_the_container(
    docker_client, standin_image, container_exists
) -> None:
    def interrupt_on_first_line(_line: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), standin_box(docker_client, standin_image) as box:
        box.run(["sh", "-c", "echo started; sleep 300"], step="install", on_output=interrupt_on_first_line)

    assert not container_exists(box.name)


def test_kept_container_survives_for_debugging(docker_client, standin_image, container_exists) -> None:
    messages: list[str] = []
    try:
        with (
            pytest.raises(ContainerError),
            standin_box(docker_client, standin_image, keep=True, notify=messages.append) as box,
        ):
            box.run(["false"], step="verify")

        assert container_exists(box.name)
        assert box.name in messages[0]
    finally:
        docker_client.api.remove_container(box.name, force=True)


def test_engine_runs_its_own_platform(docker_client, standin_image) -> None:
    assert can_run_platform(docker_client, standin_image, PLATFORM) is True


def test_arm64_with_an_amd64_only_image_says_what_the_engine_has(docker_client, standin_image) -> None:
    with pytest.raises(ContainerError) as caught:
        can_run_platform(docker_client, standin_image, "linux/arm64")

    assert f"image {standin_image} is not present in the engine for linux/arm64" in str(caught.value)
    assert "(it has linux/amd64 only)" in str(caught.value)
