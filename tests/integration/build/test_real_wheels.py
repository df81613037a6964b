"""Strip and check real numpy wheels from the package index, as the python3.11 layer ships them.

Which strip runs is the one the minimizer would pick on this machine (elfstrip.find_strip_tool): GNU
strip (the host's, or binutils' cross strip) leaves every numpy extension module loadable, so nothing
may be restored. llvm-strip, the fallback where no GNU strip for the machine is installed, writes
some of them with load segments the loader refuses; the minimizer must notice and put the wheel's
bytes back, so with it every restored file must really break when stripped and be the original again.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from builder.build.elfstrip import (
    StripResult,
    find_strip_tool,
    is_grafted_library,
    load_problem,
    strip_files,
)
from builder.layer.elfcheck import check_tree, is_elf

pytestmark = pytest.mark.network

NUMPY = "numpy==2.2.6"  # the newest numpy with a wheel for Amazon Linux 2 (glibc 2.26)


def layer_from_wheel(folder: Path, platform: str) -> Path:
    """Download the cp311 numpy wheel for `platform` and unpack it as a layer's python/ folder."""
    wheels = folder / "wheels"
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", NUMPY]
    pip += ["--python-version", "3.11", "--platform", platform, "-d", str(wheels), "--quiet"]
    subprocess.run(pip, check=True)
    [wheel] = wheels.glob("numpy-*.whl")
    root = folder / "layer"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(root / "python")
    return root


def strip_extensions(root: Path, machine: str) -> StripResult:
    tool = find_strip_tool(machine)
    if tool is None:
        pytest.skip(f"no strip for {machine}")
    modules = [
        path
        for path in sorted(root.rglob("*.so"))
        if is_elf(path) and not is_grafted_library(path.relative_to(root).as_posix())
    ]
    return strip_files(modules, tool=tool, machine=machine)


def is_llvm_strip(tool: str) -> bool:
    return Path(tool).name.startswith("llvm-strip")


def assert_restored_only_what_strip_broke(root: Path, result: StripResult, machine: str) -> None:
    """GNU strip: nothing restored. llvm-strip: each restored file is the wheel's file byte for byte,
    sound for the loader, and stripping a copy of it again really gives a file the loader refuses."""
    if not is_llvm_strip(result.tool):
        assert result.restored == ()
        return
    [wheel] = (root.parent / "wheels").glob("numpy-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for file in result.restored:
            member = file.path.relative_to(root / "python").as_posix()
            original = archive.read(member)
            assert file.reason.startswith("stripping broke it: "), file
            assert file.bytes_after == file.bytes_before == len(original)
            assert file.path.read_bytes() == original, f"{member} is not the wheel's file again"
            assert load_problem(file.path, machine) == ""
            again = root.parent / "strip-again" / file.path.name
            again.parent.mkdir(exist_ok=True)
            again.write_bytes(original)
            subprocess.run([result.tool, "--strip-unneeded", str(again)], check=True)
            assert load_problem(again, machine) != "", f"{result.tool} does not break {member}"


def module_name(root: Path, path: Path) -> str:
    """numpy/_core/_umath.cpython-311-x86_64-linux-gnu.so -> numpy._core._umath"""
    parts = path.relative_to(root / "python").parts
    return ".".join([*parts[:-1], parts[-1].split(".")[0]])


@pytest.fixture(scope="module")
def x86_64_layer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StripResult]:
    root = layer_from_wheel(tmp_path_factory.mktemp("numpy-x86_64"), "manylinux_2_17_x86_64")
    return root, strip_extensions(root, "x86_64")


def test_stripped_numpy_passes_the_amazon_linux_2_check(x86_64_layer: tuple[Path, StripResult]) -> None:
    root, result = x86_64_layer

    assert_restored_only_what_strip_broke(root, result, "x86_64")
    assert result.bytes_saved > 0
    assert check_tree(root, machine="x86_64", glibc=(2, 26), os_id="al2") == []


def test_stripped_numpy_still_computes(x86_64_layer: tuple[Path, StripResult]) -> None:
    root, result = x86_64_layer
    if sys.version_info[:2] != (3, 11) or not sys.platform.startswith("linux"):
        pytest.skip("the cp311 x86_64 wheel imports only in CPython 3.11 on Linux")
    code = "import numpy as np; print(np.linalg.inv(np.eye(3) * 4)[0, 0], np.fft.fft([1, 0])[0].real)"
    # Whatever was restored after a strip broke it must load too.
    code += "".join(f"; import {module_name(root, file.path)}" for file in result.restored)
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(root / 'python')!r}); {code}"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert done.stdout.split() == ["0.25", "1.0"], done.stderr


def test_stripped_aarch64_numpy_passes_the_check(tmp_path: Path) -> None:
    root = layer_from_wheel(tmp_path, "manylinux_2_17_aarch64")

    result = strip_extensions(root, "aarch64")

    assert_restored_only_what_strip_broke(root, result, "aarch64")
    assert result.bytes_saved > 0
    assert check_tree(root, machine="aarch64", glibc=(2, 26), os_id="al2") == []
    assert {p.kind for p in check_tree(root, machine="x86_64", glibc=(2, 26), os_id="al2")} == {
        "wrong-machine"
    }
