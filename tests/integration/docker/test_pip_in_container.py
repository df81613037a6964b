"""pip inside a container reaches the package index the way the host does."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import docker
import pytest
from support.wheels import write_wheel

from builder.build.backends.passthrough import Passthrough, ca_bundle, host_passthrough
from builder.engine.container import open_container

pytestmark = pytest.mark.docker

PLATFORM = "linux/amd64"


@pytest.mark.network
def test_pip_downloads_from_the_index_with_host_network_and_the_host_ca_bundle(
    docker_client, standin_image, tmp_path: Path
) -> None:
    # Only the CA bundle is carried over here: the download must come from the real index, which this
    # machine reaches through a proxy whose CA the image does not trust.
    passthrough = ca_bundle(os.environ)
    env = {**passthrough.env, "PIP_CONFIG_FILE": "/dev/null"}
    out = pip_download(
        docker_client, standin_image, tmp_path, passthrough, env, "host", "--no-cache-dir", "six"
    )

    assert [path.name.split("-")[0] for path in out.iterdir()] == ["six"]


def pip_download(
    client: docker.DockerClient,
    image: str,
    tmp_path: Path,
    passthrough: Passthrough,
    env: Mapping[str, str],
    network: str,
    *args: str,
) -> Path:
    """`pip download --no-deps ARGS` in a container with the host's settings passed through; the
    folder it downloaded into."""
    out = tmp_path / "out"
    out.mkdir()
    with open_container(
        client,
        image=image,
        platform=PLATFORM,
        network=network,
        mounts=[*passthrough.mounts, (out, "/out", False)],
        env=dict(env),
    ) as box:
        box.run(["python3", "-m", "pip", "download", "--no-deps", *args, "-d", "/out"], step="install")
    return out


def make_local_index(root: Path, name: str, version: str) -> Path:
    """<root>/simple/<name>/index.html linking ../../files/<wheel>, the layout of this machine's mirrors."""
    (root / "files").mkdir(parents=True)
    wheel = write_wheel(root / "files", name, version, {f"{name}/__init__.py": b"VALUE = 1\n"})
    page = root / "simple" / name / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<html><body><a href="../../files/{wheel.name}">{wheel.name}</a></body></html>\n')
    return root / "simple"


def test_pip_uses_the_hosts_local_index_settings_without_network(
    docker_client, standin_image, tmp_path: Path
) -> None:
    simple = make_local_index(tmp_path / "mirror", "lbtinypkg", "1.0")
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    (home / ".config" / "pip" / "pip.conf").write_text(f"[global]\nindex-url = file://{simple}\n")
    env = {"XDG_CONFIG_DIRS": str(tmp_path / "no-global-config"), "HOME": str(home)}
    passthrough = host_passthrough(env, home)

    # No network at all: the download can only come from the mounted local index.
    out = pip_download(
        docker_client, standin_image, tmp_path, passthrough, passthrough.env, "none", "lbtinypkg"
    )

    assert [path.name for path in out.iterdir()] == ["lbtinypkg-1.0-py3-none-any.whl"]
