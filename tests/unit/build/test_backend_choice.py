"""Choosing a backend by name: what each says of itself for the manifest, and what loads when."""

from __future__ import annotations

import subprocess
import sys

from builder.build.backends.base import DockerSettings
from builder.build.backends.choice import backend_for
from builder.runtimes import get_target

TARGET = get_target("python3.12", "x86_64")


def test_the_docker_backend_builds_in_the_runtime_image_unless_a_base_image_is_given():
    default = backend_for("docker", TARGET, python=None, env=None, docker=DockerSettings())
    assert (default.name, default.build_image) == ("docker", TARGET.runtime.build_image)
    custom = backend_for(
        "docker", TARGET, python=None, env=None, docker=DockerSettings(base_image="example/build:1")
    )
    assert custom.build_image == "example/build:1"
    assert custom.fingerprint()["base_image"] == "example/build:1"  # the cache key sees the same image


def test_the_local_backend_has_no_build_image_and_never_loads_the_docker_sdk():
    code = (
        "import sys\n"
        "from builder.build.backends.base import DockerSettings\n"
        "from builder.build.backends.choice import backend_for\n"
        "from builder.runtimes import get_target\n"
        "b = backend_for('local', get_target('python3.12', 'x86_64'), python=None, env={'PATH': ''},"
        " docker=DockerSettings())\n"
        "print(b.name, b.build_image, 'docker' in sys.modules)\n"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.split() == ["local", "None", "False"]
