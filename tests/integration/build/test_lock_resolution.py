"""Locks resolve for the target, not the host: real pip against the package index."""

from __future__ import annotations

import pytest
from packaging.utils import parse_wheel_filename
from packaging.version import Version

from builder.build.lock import PipResolver
from builder.runtimes import get_target

pytestmark = pytest.mark.network


def test_python311_resolves_to_wheels_that_load_on_amazon_linux_2():
    packages = {
        p.name: p
        for p in PipResolver().resolve(["numpy", "scipy", "pandas"], get_target("python3.11", "x86_64"))
    }
    # numpy 2.3+ ships only manylinux_2_28 wheels: glibc 2.26 cannot load them.
    assert packages["numpy"].version == "2.2.6"
    assert Version(packages["pandas"].version) >= Version("3.1.1")
    loadable = set(get_target("python3.11", "x86_64").platform_tags())
    for package in packages.values():
        _, _, _, tags = parse_wheel_filename(package.filename)
        assert {tag.platform for tag in tags} & (loadable | {"any"}), package.filename
        assert len(package.sha256) == 64
    assert packages["numpy"].filename.endswith("cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    assert {"python-dateutil", "tzdata"} <= set(packages)
    assert packages["numpy"].requested and not packages["tzdata"].requested


def test_python312_gets_the_newest_releases_for_glibc_2_34():
    packages = {
        p.name: p
        for p in PipResolver().resolve(["numpy", "scipy", "pandas"], get_target("python3.12", "x86_64"))
    }
    assert Version(packages["numpy"].version) >= Version("2.5")
    assert Version(packages["scipy"].version) >= Version("1.18")
    assert Version(packages["pandas"].version) >= Version("3.1")
    assert "cp312" in packages["numpy"].filename


def test_arm64_resolution_picks_aarch64_wheels():
    packages = PipResolver().resolve(["numpy"], get_target("python3.12", "arm64"))
    assert packages[0].filename.endswith("aarch64.whl")


def test_requirement_with_no_wheel_for_the_target_is_named():
    from builder.errors import LockError

    # numpy 1.21 predates cp312: there is no wheel of it for python3.12.
    with pytest.raises(LockError) as caught:
        PipResolver().resolve(["numpy==1.21.6"], get_target("python3.12", "x86_64"))
    assert "no wheel of numpy==1.21.6 loads on python3.12-x86_64" in caught.value.message
    assert "--backend docker" in (caught.value.hint or "")
