from __future__ import annotations

import pytest

from builder.errors import ConfigError
from builder.runtimes import get_target, limits, runtimes


def test_every_supported_python_runtime_is_listed_with_its_os():
    table = runtimes()
    assert list(table) == ["python3.10", "python3.11", "python3.12", "python3.13", "python3.14"]
    assert {table[n].glibc for n in ("python3.10", "python3.11")} == {(2, 26)}
    assert {table[n].glibc for n in ("python3.12", "python3.13", "python3.14")} == {(2, 34)}
    assert table["python3.12"].build_image == "public.ecr.aws/sam/build-python3.12:latest"


def test_al2023_x86_tags_cover_every_manylinux_up_to_glibc_2_34():
    tags = get_target("python3.12", "x86_64").platform_tags()
    assert tags[0] == "manylinux_2_34_x86_64"
    assert "manylinux_2_28_x86_64" in tags and "manylinux_2_5_x86_64" in tags
    assert "manylinux_2_35_x86_64" not in tags
    assert {"manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"} <= set(tags)
    assert tags[-1] == "linux_x86_64"


def test_al2_arm_tags_stop_at_glibc_2_26_and_start_at_2_17():
    tags = get_target("python3.11", "arm64").platform_tags()
    assert tags[0] == "manylinux_2_26_aarch64"
    assert "manylinux_2_27_aarch64" not in tags and "manylinux_2_28_aarch64" not in tags
    assert "manylinux_2_17_aarch64" in tags and "manylinux_2_16_aarch64" not in tags
    assert "manylinux2014_aarch64" in tags and "manylinux1_aarch64" not in tags


def test_abi_and_arch_aliases():
    target = get_target("python3.13", "aarch64")
    assert target.arch.name == "arm64" and target.runtime.abi == "cp313"
    assert target.key == "python3.13-arm64"


def test_unknown_runtime_and_arch_suggest():
    with pytest.raises(ConfigError, match=r"did you mean 'python3\.12'"):
        get_target("pyhton3.12", "x86_64")
    with pytest.raises(ConfigError, match="did you mean 'x86_64'"):
        get_target("python3.12", "x86-64")


def test_limits_match_lambda_quotas():
    assert limits().unzipped_bytes == 262_144_000
    assert limits().direct_upload_zipped_bytes == 50 * 1024 * 1024
    assert limits().max_layers == 5
