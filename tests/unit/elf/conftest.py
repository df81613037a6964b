"""Tiny shared libraries built once per session with the real compilers on this machine.

Needs gcc, g++ and binutils (Debian: gcc g++ binutils); the aarch64 cases also need
gcc-aarch64-linux-gnu and binutils-aarch64-linux-gnu and are skipped without them.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

PLAIN_C = "int answer(void) { return 42; }\n"

# pthread_create has the symbol version GLIBC_2.34 when linked against glibc >= 2.34.
NEW_GLIBC_C = """
#include <pthread.h>
static void *run(void *arg) { return arg; }
int spawn(void) { pthread_t t; pthread_create(&t, 0, run, 0); return pthread_join(t, 0); }
"""

# std::filesystem lives in libstdc++.so.6 from gcc 9 on: it needs GLIBCXX_3.4.26.
NEW_CXX = """
#include <filesystem>
extern "C" int name_length(const char *p) { return (int)std::filesystem::path(p).filename().string().size(); }
"""

# A pointer table: relative relocations, which -z pack-relative-relocs packs into DT_RELR.
RELR_C = (
    "static int a = 1, b = 2, c = 3;\nint *table[] = {&a, &b, &c};\nint first(void) { return *table[0]; }\n"
)

DEP_C = "int dep_value(void) { return 7; }\n"
USER_C = "int dep_value(void);\nint user_value(void) { return dep_value() * 6; }\n"


@dataclass(frozen=True)
class Built:
    """Paths of the libraries the tests copy into layer trees."""

    machine: str  # the host's, which is what the host gcc builds
    plain: Path  # built with -g: a lot for strip to remove; exports answer() == 42
    new_glibc: Path
    relr: Path | None  # linked with -z pack-relative-relocs, None if the linker cannot
    new_cxx: Path
    dep: Path  # soname libdep.so
    user: Path  # needs libdep.so, no RPATH
    user_runpath: Path  # needs libdep.so, RUNPATH $ORIGIN/../pkg.libs
    user_rpath: Path  # needs libdep.so, RPATH (old tags) $ORIGIN/../pkg.libs
    x11_user: Path  # needs libX11.so.6 (a stand-in built here)
    cxx_rpath: Path  # new_cxx with RPATH $ORIGIN, to find a vendored libstdc++.so.6
    arm_plain: Path | None  # PLAIN_C for aarch64, None without a cross compiler


def _cc(compiler: str, out: Path, source: str, suffix: str, *flags: str) -> Path:
    src = out.with_suffix(suffix)
    src.write_text(source)
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(out), str(src), *flags], check=True)
    return out


def _try_relr(folder: Path) -> Path | None:
    try:
        return _cc("gcc", folder / "librelr.so", RELR_C, ".c", "-Wl,-z,pack-relative-relocs")
    except subprocess.CalledProcessError:
        return None


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    for tool in ("gcc", "g++", "strip"):
        assert shutil.which(tool), f"{tool} is needed for the ELF tests (Debian: gcc g++ binutils)"
    folder = tmp_path_factory.mktemp("elf-libs")
    deps = folder / "deps"
    deps.mkdir()
    dep = _cc("gcc", deps / "libdep.so", DEP_C, ".c", "-Wl,-soname,libdep.so")
    x11 = _cc("gcc", deps / "libX11.so.6", DEP_C, ".c", "-Wl,-soname,libX11.so.6")
    link = ["-L", str(deps), "-ldep"]
    origin = "-Wl,-rpath,$ORIGIN/../pkg.libs"
    cross = shutil.which("aarch64-linux-gnu-gcc")
    return Built(
        machine=platform.machine(),
        plain=_cc("gcc", folder / "libplain.so", PLAIN_C, ".c", "-g", "-O0"),
        new_glibc=_cc("gcc", folder / "libnewglibc.so", NEW_GLIBC_C, ".c"),
        relr=_try_relr(folder),
        new_cxx=_cc("g++", folder / "libnewcxx.so", NEW_CXX, ".cpp", "-std=c++17"),
        dep=dep,
        user=_cc("gcc", folder / "libuser.so", USER_C, ".c", *link),
        user_runpath=_cc(
            "gcc", folder / "libuser_runpath.so", USER_C, ".c", *link, origin, "-Wl,--enable-new-dtags"
        ),
        user_rpath=_cc(
            "gcc", folder / "libuser_rpath.so", USER_C, ".c", *link, origin, "-Wl,--disable-new-dtags"
        ),
        x11_user=_cc("gcc", folder / "libx11user.so", USER_C, ".c", str(x11)),
        cxx_rpath=_cc(
            "g++",
            folder / "libcxxrpath.so",
            NEW_CXX,
            ".cpp",
            "-std=c++17",
            "-Wl,-rpath,$ORIGIN",
            "-Wl,--disable-new-dtags",
        ),
        arm_plain=_cc(cross, folder / "libarm.so", PLAIN_C, ".c", "-g") if cross else None,
    )


LayerMaker = Callable[[dict[str, Path | bytes]], Path]


@pytest.fixture
def make_layer(tmp_path: Path) -> LayerMaker:
    """Builds a layer tree: each key a path relative to the layer root, each value a file to copy or bytes."""

    def make(files: dict[str, Path | bytes]) -> Path:
        root = tmp_path / "layer"
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_bytes(content)
        return root

    return make
