"""The container's life: what is created, and that it is always removed unless kept."""

from __future__ import annotations

from pathlib import Path

import docker.errors
import pytest
import requests.exceptions

from builder.build.backends.passthrough import CA_BUNDLE_PATH
from builder.engine.container import (
    BindMount,
    BuildContainer,
    UnsupportedPlatformError,
    can_run_platform,
    open_container,
)
from builder.errors import ContainerError


def box(client, tmp_path: Path, **kwargs) -> BuildContainer:
    settings: dict = {
        "image": "build:1",
        "platform": "linux/amd64",
        "network": "host",
        "notify": lambda _: None,
    }
    settings.update(kwargs)
    return open_container(client, **settings)


def test_create_asks_for_image_platform_mounts_env_and_network(client, engine, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "ca.pem").write_text("cert")
    mounts = [(tmp_path / "out", "/out", False), BindMount(tmp_path / "ca.pem", CA_BUNDLE_PATH, True)]

    with box(
        client,
        tmp_path,
        platform="linux/arm64",
        mounts=mounts,
        env={"PIP_CERT": CA_BUNDLE_PATH},
        workdir="/out",
    ) as container:
        assert container.name in engine.running

    (_, image, kwargs) = engine.named("create")[0]
    assert image == "build:1"
    assert kwargs["platform"] == "linux/arm64"
    assert kwargs["network_mode"] == "host"
    assert kwargs["environment"] == {"PIP_CERT": CA_BUNDLE_PATH}
    assert kwargs["working_dir"] == "/out"
    assert [(m["Source"], m["Target"], m["ReadOnly"]) for m in kwargs["mounts"]] == [
        (str(tmp_path / "out"), "/out", False),
        (str(tmp_path / "ca.pem"), CA_BUNDLE_PATH, True),
    ]
    assert all(m["Type"] == "bind" for m in kwargs["mounts"])


def test_container_is_removed_after_the_block(client, engine, tmp_path: Path) -> None:
    with box(client, tmp_path) as container:
        name = container.name

    assert engine.named("remove") == [("remove", name, True)]
    assert name not in engine.existing


def test_container_is_removed_when_the_block_fails(client, engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="boom"), box(client, tmp_path):
        raise ValueError("boom")

    assert engine.existing == set()


def test_container_is_removed_on_ctrl_c(client, engine, tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), box(client, tmp_path):
        raise KeyboardInterrupt

    assert engine.existing == set()


def test_kept_container_stays_and_its_name_is_reported(client, engine, tmp_path: Path) -> None:
    messages: list[str] = []

    with pytest.raises(ValueError), box(client, tmp_path, keep=True, notify=messages.append) as container:
        raise ValueError("inspect me")

    assert container.name in engine.existing
    assert engine.named("remove") == []
    assert len(messages) == 1
    assert container.name in messages[0]
    assert f"docker exec -it {container.name}" in messages[0]


def test_container_that_fails_to_start_is_removed(client, engine, tmp_path: Path) -> None:
    engine.start_error = docker.errors.APIError("500", explanation="OCI runtime create failed: oops")

    with pytest.raises(ContainerError, match="OCI runtime create failed"), box(client, tmp_path):
        pass

    assert engine.existing == set()


def test_ctrl_c_while_starting_still_removes_the_container(client, engine, tmp_path: Path) -> None:
    engine.start_error = KeyboardInterrupt()

    with pytest.raises(KeyboardInterrupt), box(client, tmp_path):
        pass

    assert engine.existing == set()


def test_foreign_binary_at_start_says_how_to_enable_emulation(client, engine, tmp_path: Path) -> None:
    engine.start_error = docker.errors.APIError(
        "500", explanation='OCI runtime create failed: exec: "sleep": exec format error'
    )

    with pytest.raises(UnsupportedPlatformError) as caught, box(client, tmp_path, platform="linux/arm64"):
        pass

    assert "cannot run linux/arm64 containers" in str(caught.value)
    assert "tonistiigi/binfmt --install arm64" in str(caught.value)
    assert "--backend local" in str(caught.value)
    assert engine.existing == set()


def test_missing_image_names_image_platform_and_what_the_engine_has(client, engine, tmp_path: Path) -> None:
    engine.add_image("build:1", "sha256:abc", arch="amd64")
    engine.create_error = docker.errors.ImageNotFound(
        "404", explanation="image with reference build:1 was found but does not match the specified platform"
    )

    with pytest.raises(ContainerError) as caught, box(client, tmp_path, platform="linux/arm64"):
        pass

    message = str(caught.value)
    assert "image build:1 is not present in the engine for linux/arm64 (it has linux/amd64 only)" in message
    assert "docker load" in message
    assert "--base-image" in message
    assert caught.value.exit_code == 8


def test_missing_mount_source_is_refused_before_asking_the_engine(client, engine, tmp_path: Path) -> None:
    with (
        pytest.raises(ContainerError, match="does not exist on the host"),
        box(client, tmp_path, mounts=[(tmp_path / "nope", "/nope", True)]),
    ):
        pass

    assert engine.named("create") == []


def test_failed_removal_does_not_hide_the_error_in_flight(client, engine, tmp_path: Path) -> None:
    engine.remove_error = requests.exceptions.ConnectionError("engine went away")
    messages: list[str] = []

    with pytest.raises(ValueError, match="the real problem"), box(client, tmp_path, notify=messages.append):
        raise ValueError("the real problem")

    assert any("could not remove container" in message for message in messages)


def test_failed_removal_after_success_is_an_error_with_the_manual_fix(client, engine, tmp_path: Path) -> None:
    engine.remove_error = docker.errors.APIError("500", explanation="device or resource busy")

    with pytest.raises(ContainerError) as caught, box(client, tmp_path) as container:
        pass

    assert f"docker rm -f {container.name}" in str(caught.value)


def test_container_already_gone_is_fine(client, engine, tmp_path: Path) -> None:
    with box(client, tmp_path) as container:
        engine.existing.discard(container.name)


def test_each_container_gets_its_own_name(client, tmp_path: Path) -> None:
    assert box(client, tmp_path).name != box(client, tmp_path).name


def test_run_outside_the_block_is_a_programming_error(client, tmp_path: Path) -> None:
    container = box(client, tmp_path)

    with pytest.raises(RuntimeError, match="outside its `with` block"):
        container.run(["true"], step="install")


@pytest.mark.parametrize(
    ("machine", "expected"),
    [(b"aarch64\n", True), (b"x86_64\n", False)],
)
def test_can_run_platform_trusts_the_kernel_not_the_label(client, engine, machine, expected) -> None:
    engine.will_run(machine)

    assert can_run_platform(client, "probe:1", "linux/arm64") is expected
    assert engine.named("create")[0][2]["platform"] == "linux/arm64"
    assert engine.existing == set()


def test_can_run_platform_is_false_on_exec_format_error(client, engine) -> None:
    engine.start_error = docker.errors.APIError("500", explanation="exec format error")

    assert can_run_platform(client, "probe:1", "linux/arm64") is False
    assert engine.existing == set()


def test_can_run_platform_needs_the_image(client, engine) -> None:
    engine.create_error = docker.errors.ImageNotFound("404", explanation="No such image: probe:1")

    with pytest.raises(ContainerError, match="not present in the engine for linux/arm64"):
        can_run_platform(client, "probe:1", "linux/arm64")


def test_unknown_network_suggests_host_networking(client, engine, tmp_path: Path) -> None:
    engine.create_error = docker.errors.NotFound("404", explanation="network bridge not found")

    with pytest.raises(ContainerError) as caught, box(client, tmp_path, network="bridge"):
        pass

    assert "network bridge not found" in str(caught.value)
    assert "--network host" in str(caught.value)
