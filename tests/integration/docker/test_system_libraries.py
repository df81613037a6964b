"""[layer] system_libraries: copied from the build image into lib/ with licenses, found by the ELF check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docker
import pytest

from builder.build.backends.base import DockerSettings
from builder.build.backends.docker import docker_session
from builder.errors import ContainerError
from builder.layer import elfcheck
from builder.runtimes import get_target

pytestmark = pytest.mark.docker
# The stand-in image is Debian bookworm with Python 3.11; libexpat (Python's XML parser) is in it,
# and Lambda's Amazon Linux does not promise it (data/system-libs.toml).
TARGET = get_target("python3.11", "x86_64")
LIBRARY = "libexpat.so.1"
USES_EXPAT = "void *XML_ParserCreate(const char *);\nvoid *parser(void) { return XML_ParserCreate(0); }\n"


def _extension(folder: Path) -> Path:
    """A module linked against the host's libexpat: DT_NEEDED libexpat.so.1."""
    host = next(
        p
        for p in (Path("/usr/lib/x86_64-linux-gnu"), Path("/lib/x86_64-linux-gnu"))
        if (p / LIBRARY).exists()
    )
    source = folder / "xml.c"
    source.write_text(USES_EXPAT)
    out = folder / "_xml.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(out), str(source), str(host / LIBRARY)], check=True)
    return out


def test_bundled_system_library_is_copied_with_its_license_and_found(
    docker_client: docker.DockerClient, standin_image: str, tmp_path: Path
):
    work = tmp_path / "work"
    layer = work / "layer"
    (layer / "python" / "pkg").mkdir(parents=True)
    shutil.copyfile(_extension(tmp_path), layer / "python" / "pkg" / "_xml.so")

    def check() -> list[elfcheck.ElfProblem]:
        # The stand-in's libraries are bookworm's (glibc 2.36); the real build image's match Lambda's.
        return elfcheck.check_tree(layer, machine="x86_64", glibc=(2, 36), os_id="al2023")

    assert [p.library for p in check()] == [LIBRARY]
    settings = DockerSettings(base_image=standin_image)
    with docker_session(TARGET, settings, work, lambda _: None) as session:
        session.bundle_system_libraries([LIBRARY], layer / elfcheck.LAYER_LIB)
        with pytest.raises(ContainerError, match=r"the build image has no libnothere\.so\.9"):
            session.bundle_system_libraries(["libnothere.so.9"], layer / elfcheck.LAYER_LIB)
    copied = layer / "lib" / LIBRARY
    assert copied.read_bytes()[:4] == elfcheck.ELF_MAGIC and not copied.is_symlink()
    licenses = list((layer / "lib" / "licenses").glob("*/copyright"))
    assert licenses and "expat" in licenses[0].read_text().lower()
    assert check() == []
