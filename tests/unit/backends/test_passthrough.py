"""The container reaches the package index the way the host does: CA bundle and pip's index settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.build.backends.passthrough import (
    CA_BUNDLE_PATH,
    ca_bundle,
    host_passthrough,
    pip_config_files,
    pip_index_settings,
    read_pip_config,
)
from builder.engine.container import BindMount


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "corp-ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_ca_bundle_is_mounted_read_only_and_used_by_pip_requests_and_openssl(bundle: Path) -> None:
    result = ca_bundle({"SSL_CERT_FILE": str(bundle)})

    assert result.mounts == (BindMount(bundle, CA_BUNDLE_PATH, True),)
    assert result.env == {
        "PIP_CERT": CA_BUNDLE_PATH,
        "REQUESTS_CA_BUNDLE": CA_BUNDLE_PATH,
        "SSL_CERT_FILE": CA_BUNDLE_PATH,
    }


def test_ca_bundle_takes_the_first_variable_naming_an_existing_file(tmp_path: Path, bundle: Path) -> None:
    other = write(tmp_path / "other.pem", "x")
    env = {
        "PIP_CERT": str(tmp_path / "gone.pem"),
        "REQUESTS_CA_BUNDLE": str(bundle),
        "SSL_CERT_FILE": str(other),
    }

    assert ca_bundle(env).mounts[0].host_path == bundle


def test_ca_bundle_falls_back_to_pips_cert_setting(bundle: Path) -> None:
    assert ca_bundle({}, {"cert": str(bundle)}).mounts[0].host_path == bundle


def test_ca_bundle_symlink_is_mounted_as_its_target(tmp_path: Path, bundle: Path) -> None:
    link = tmp_path / "link.pem"
    link.symlink_to(bundle)

    assert ca_bundle({"PIP_CERT": str(link)}).mounts[0].host_path == bundle


def test_no_ca_bundle_means_nothing_to_mount() -> None:
    result = ca_bundle({})

    assert result.mounts == ()
    assert result.env == {}


def test_local_index_is_mounted_with_its_files_folder(tmp_path: Path) -> None:
    # PEP 503 pages under <repo>/simple link to ../../files/..., so the repository root is needed.
    simple = tmp_path / "pypi" / "simple"
    simple.mkdir(parents=True)

    result = pip_index_settings({}, {"extra-index-url": f"https://mirror.example/simple file://{simple}"})

    assert result.env == {"PIP_EXTRA_INDEX_URL": f"https://mirror.example/simple file://{simple}"}
    assert result.mounts == (BindMount(tmp_path / "pypi", str(tmp_path / "pypi"), True),)


def test_find_links_folder_is_mounted_at_the_same_path(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()

    result = pip_index_settings({"PIP_FIND_LINKS": str(wheels)}, {})

    assert result.env == {"PIP_FIND_LINKS": str(wheels)}
    assert result.mounts == (BindMount(wheels, str(wheels), True),)


def test_missing_local_location_is_dropped_with_a_note(tmp_path: Path) -> None:
    result = pip_index_settings({"PIP_FIND_LINKS": f"{tmp_path}/gone https://files.example/links"}, {})

    assert result.env == {"PIP_FIND_LINKS": "https://files.example/links"}
    assert result.mounts == ()
    assert result.notes == (
        f"pip find-links {tmp_path}/gone does not exist on this machine; not used in the container",
    )


def test_environment_overrides_config_files_like_pip_does() -> None:
    result = pip_index_settings(
        {"PIP_INDEX_URL": "https://env.example/simple"},
        {"index-url": "https://config.example/simple", "trusted-host": "config.example"},
    )

    assert result.env == {"PIP_INDEX_URL": "https://env.example/simple", "PIP_TRUSTED_HOST": "config.example"}


def test_unrelated_pip_settings_stay_on_the_host() -> None:
    result = pip_index_settings(
        {"PIP_DEFAULT_TIMEOUT": "180"}, {"constraint": "/etc/xdg/pip/constraints.txt"}
    )

    assert result.env == {}


def test_pip_config_files_in_pips_order(tmp_path: Path) -> None:
    xdg = write(tmp_path / "xdg" / "pip" / "pip.conf", "")
    legacy = write(tmp_path / "home" / ".pip" / "pip.conf", "")
    user = write(tmp_path / "home" / ".config" / "pip" / "pip.conf", "")

    files = pip_config_files({"XDG_CONFIG_DIRS": str(tmp_path / "xdg")}, tmp_path / "home")

    assert [path for path in files if str(path).startswith(str(tmp_path))] == [xdg, legacy, user]


def test_pip_config_file_variable_replaces_user_files_or_turns_all_off(tmp_path: Path) -> None:
    write(tmp_path / "home" / ".config" / "pip" / "pip.conf", "")
    chosen = write(tmp_path / "chosen.conf", "")
    env = {"XDG_CONFIG_DIRS": str(tmp_path / "none"), "PIP_CONFIG_FILE": str(chosen)}

    assert pip_config_files(env, tmp_path / "home")[-1] == chosen
    assert (tmp_path / "home" / ".config" / "pip" / "pip.conf") not in pip_config_files(
        env, tmp_path / "home"
    )
    assert pip_config_files({"PIP_CONFIG_FILE": "/dev/null"}, tmp_path / "home") == []


def test_later_files_and_the_install_section_win(tmp_path: Path) -> None:
    first = write(tmp_path / "a.conf", "[global]\nindex-url = https://a.example/simple\ntimeout = 9\n")
    second = write(
        tmp_path / "b.conf",
        "[global]\nindex-url = https://b.example/simple\n[install]\nfind-links = /wheels\n",
    )

    assert read_pip_config([first, second]) == {
        "index-url": "https://b.example/simple",
        "timeout": "9",
        "find-links": "/wheels",
    }


def test_host_passthrough_combines_bundle_and_index_settings(tmp_path: Path, bundle: Path) -> None:
    simple = tmp_path / "repo" / "simple"
    simple.mkdir(parents=True)
    write(
        tmp_path / "home" / ".config" / "pip" / "pip.conf", f"[global]\nextra-index-url = file://{simple}\n"
    )
    env = {"REQUESTS_CA_BUNDLE": str(bundle), "XDG_CONFIG_DIRS": str(tmp_path / "none")}

    result = host_passthrough(env, tmp_path / "home")

    assert result.env["PIP_EXTRA_INDEX_URL"] == f"file://{simple}"
    assert result.env["PIP_CERT"] == CA_BUNDLE_PATH
    assert {mount.container_path for mount in result.mounts} == {CA_BUNDLE_PATH, str(tmp_path / "repo")}


def test_emulated_arm64_containers_get_lambdas_cpu_model() -> None:
    # qemu's default CPU offers SME; OpenBLAS's SME kernels come out wrong under qemu 7.2.
    from builder.engine.build_image import emulation_env
    from builder.runtimes import get_target, host_machine

    arm64 = emulation_env(get_target("python3.13", "arm64"))
    assert arm64 == ({} if host_machine() == "aarch64" else {"QEMU_CPU": "neoverse-n1"})
    assert emulation_env(get_target("python3.13", "x86_64")) == {}
