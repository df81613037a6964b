"""The Lambda runtime table: which Amazon Linux, glibc, wheel tags and build image each runtime has.

Reference data lives in `data/runtimes.toml` and `data/limits.toml`; this module only reads it and
derives the wheel platform tags.
"""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass
from functools import cache
from importlib import resources

from builder import tomlload
from builder.errors import ConfigError
from builder.suggest import did_you_mean

ARCHITECTURES = ("x86_64", "arm64")
# What `platform.machine()` may say on other systems, as the ELF/uname machine name.
MACHINE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}
# qemu's name for the core of Lambda's arm64 machines (AWS Graviton2): what every emulated aarch64
# run is pinned to (engine/build_image.py for containers, interpreters/run.py for local commands).
LAMBDA_ARM64_CPU = "neoverse-n1"


def host_machine() -> str:
    """This machine's architecture as an ELF/uname machine name ("x86_64" or "aarch64")."""
    machine = platform.machine()
    return MACHINE_ALIASES.get(machine.lower(), machine)


@dataclass(frozen=True, kw_only=True)
class Runtime:
    name: str  # e.g. "python3.12"
    python: str  # "3.12"
    os_id: str  # "al2023"
    os_name: str  # "Amazon Linux 2023"
    glibc: tuple[int, int]
    deprecated: dt.date
    block_create: dt.date
    block_update: dt.date
    build_image: str

    @property
    def python_tuple(self) -> tuple[int, int]:
        major, minor = self.python.split(".")
        return int(major), int(minor)

    @property
    def abi(self) -> str:
        major, minor = self.python_tuple
        return f"cp{major}{minor}"

    @property
    def glibc_text(self) -> str:
        return f"{self.glibc[0]}.{self.glibc[1]}"

    def is_deprecated(self, today: dt.date) -> bool:
        return today >= self.deprecated


@dataclass(frozen=True, kw_only=True)
class Architecture:
    name: str  # Lambda's name: "x86_64" or "arm64"
    machine: str  # ELF / uname name: "x86_64" or "aarch64"
    docker_platform: str
    min_glibc_minor: int
    legacy: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class Limits:
    unzipped_bytes: int
    direct_upload_zipped_bytes: int
    max_layers: int
    default_code_storage_bytes: int


@dataclass(frozen=True, kw_only=True)
class Target:
    """One runtime on one architecture: what a lock and a layer are built for."""

    runtime: Runtime
    arch: Architecture

    @property
    def key(self) -> str:
        return f"{self.runtime.name}-{self.arch.name}"

    def describe(self) -> str:
        """'python3.11-x86_64 (Amazon Linux 2, glibc 2.26, cp311)': what a wheel must load on."""
        major, minor = self.runtime.glibc
        return f"{self.key} ({self.runtime.os_name}, glibc {major}.{minor}, {self.runtime.abi})"

    def platform_tags(self) -> list[str]:
        return platform_tags(self.runtime.glibc, self.arch)


def _read(name: str) -> dict[str, object]:
    text = resources.files("builder.data").joinpath(name).read_text(encoding="utf-8")
    return tomlload.loads(text)


@cache
def table_version() -> str:
    return f"runtimes-{_read('runtimes.toml')['version']}/limits-{_read('limits.toml')['version']}"


@cache
def runtimes() -> dict[str, Runtime]:
    data = _read("runtimes.toml")
    systems = data["os"]
    template = data["build_images"]["template"]  # type: ignore[index]
    table: dict[str, Runtime] = {}
    for name, row in data["runtimes"].items():  # type: ignore[attr-defined]
        system = systems[row["os"]]  # type: ignore[index]
        major, minor = system["glibc"].split(".")
        table[name] = Runtime(
            name=name,
            python=row["python"],
            os_id=row["os"],
            os_name=system["name"],
            glibc=(int(major), int(minor)),
            deprecated=row["deprecated"],
            block_create=row["block_create"],
            block_update=row["block_update"],
            build_image=template.format(runtime=name),
        )
    return table


@cache
def architectures() -> dict[str, Architecture]:
    data = _read("runtimes.toml")
    return {
        name: Architecture(
            name=name,
            machine=row["machine"],
            docker_platform=row["docker_platform"],
            min_glibc_minor=row["min_glibc_minor"],
            legacy=dict(row["legacy"]),
        )
        for name, row in data["architectures"].items()  # type: ignore[attr-defined]
    }


@cache
def limits() -> Limits:
    data = _read("limits.toml")
    return Limits(
        unzipped_bytes=int(data["unzipped_bytes"]),  # type: ignore[call-overload]
        direct_upload_zipped_bytes=int(data["direct_upload_zipped_bytes"]),  # type: ignore[call-overload]
        max_layers=int(data["max_layers"]),  # type: ignore[call-overload]
        default_code_storage_bytes=int(data["default_code_storage_bytes"]),  # type: ignore[call-overload]
    )


def get_runtime(name: str) -> Runtime:
    table = runtimes()
    if name not in table:
        raise ConfigError(
            f"unknown runtime {name!r}{did_you_mean(name, table)}",
            hint=f"supported runtimes: {', '.join(table)}",
        )
    return table[name]


def get_architecture(name: str) -> Architecture:
    table = architectures()
    aliases = {"amd64": "x86_64", "aarch64": "arm64"}
    name = aliases.get(name, name)
    if name not in table:
        raise ConfigError(
            f"unknown architecture {name!r}{did_you_mean(name, table)}",
            hint=f"Lambda architectures: {', '.join(table)}",
        )
    return table[name]


def get_target(runtime: str, arch: str) -> Target:
    return Target(runtime=get_runtime(runtime), arch=get_architecture(arch))


def platform_tags(glibc: tuple[int, int], arch: Architecture) -> list[str]:
    """Every wheel platform tag that loads on this glibc and machine, most specific first.

    PEP 600 `manylinux_2_N` for each N from the runtime's glibc down to the oldest defined for
    the machine, the legacy aliases (PEP 513/571/599) where their glibc is low enough, then
    `linux_<machine>` for wheels built on the target itself.
    """
    major, newest = glibc
    tags = [
        f"manylinux_{major}_{minor}_{arch.machine}" for minor in range(newest, arch.min_glibc_minor - 1, -1)
    ]
    legacy = sorted(arch.legacy.items(), key=lambda item: -item[1])
    tags += [f"{alias}_{arch.machine}" for alias, minor in legacy if minor <= newest]
    tags.append(f"linux_{arch.machine}")
    return tags
