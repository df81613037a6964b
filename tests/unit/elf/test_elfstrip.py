from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from builder.build.elfstrip import find_strip_tool, is_grafted_library, run_strip, strip_files
from builder.errors import BuildError
from builder.layer.elfcheck import check_tree


def copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def host_strip(machine: str) -> str:
    tool = find_strip_tool(machine)
    assert tool, f"no strip for {machine} (Debian: binutils)"
    return tool


def call_answer(library: Path) -> str:
    """Load the library in a fresh interpreter and call answer(), as Python's import would dlopen it."""
    code = "import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).answer())"
    done = subprocess.run([sys.executable, "-c", code, str(library)], capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


def test_strip_shrinks_an_extension_module_that_still_loads(built, tmp_path: Path) -> None:
    module = copy(built.plain, tmp_path / "pkg" / "_mod.so")
    size = module.stat().st_size

    result = strip_files([module], tool=host_strip(built.machine), machine=built.machine)

    [outcome] = result.files
    assert outcome.status == "stripped"
    assert (outcome.bytes_before, outcome.bytes_after) == (size, module.stat().st_size)
    assert outcome.bytes_after < size
    assert result.bytes_saved == size - outcome.bytes_after
    assert call_answer(module) == "42"


@pytest.mark.parametrize(
    "relpath",
    [
        "numpy.libs/libscipy_openblas64_-ff651d7f.so",
        "python/scipy.libs/libgfortran-040039e1-0352e75f.so.5.0.0",
        "python/lib/python3.12/site-packages/pandas.libs/libfoo-1234abcd.so",
        "numpy/.libs/libopenblasp-r0-2ecf47d5.3.7.dev.so",  # auditwheel before 3.0
    ],
)
def test_grafted_libraries_are_recognised(relpath: str) -> None:
    assert is_grafted_library(relpath)


@pytest.mark.parametrize(
    "relpath",
    [
        "numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so",
        "python/scipy/linalg/_flapack.cpython-312-x86_64-linux-gnu.so",
        "python/libs/helper.so",
        "lib/libdep.so",
    ],
)
def test_extension_modules_are_not_taken_for_grafted_libraries(relpath: str) -> None:
    assert not is_grafted_library(relpath)


def test_grafted_library_is_refused_and_nothing_is_touched(built, tmp_path: Path) -> None:
    module = copy(built.plain, tmp_path / "python" / "numpy" / "_mod.so")
    grafted = copy(built.plain, tmp_path / "python" / "numpy.libs" / "libopenblas-1234.so")
    original = module.read_bytes()

    with pytest.raises(BuildError, match=r"minimize: refusing to strip .*numpy\.libs/libopenblas-1234\.so"):
        strip_files([module, grafted], tool=host_strip(built.machine), machine=built.machine)

    assert module.read_bytes() == original
    assert grafted.read_bytes() == original


def truncating_strip(argv: Sequence[str]) -> tuple[int, str]:
    for name in argv[2:]:
        Path(name).write_bytes(Path(name).read_bytes()[:200])
    return 0, ""


def misaligning_strip(argv: Sequence[str]) -> tuple[int, str]:
    """Shift the file offset of the last PT_LOAD by 8 bytes: what strip does to patchelf'd libraries."""
    for name in argv[2:]:
        path = Path(name)
        with path.open("rb") as stream:
            elf = ELFFile(stream)
            phoff, phentsize = elf.header["e_phoff"], elf.header["e_phentsize"]
            loads = [i for i, seg in enumerate(elf.iter_segments()) if seg["p_type"] == "PT_LOAD"]
        data = bytearray(path.read_bytes())
        at = phoff + loads[-1] * phentsize + 8  # Elf64_Phdr: p_type, p_flags, then p_offset
        (offset,) = struct.unpack_from("<Q", data, at)
        struct.pack_into("<Q", data, at, offset + 8)
        path.write_bytes(bytes(data))
    return 0, ""


@pytest.mark.parametrize(
    ("fake_strip", "reason"),
    [(truncating_strip, "not a readable ELF file"), (misaligning_strip, "not page-aligned")],
)
def test_file_broken_by_strip_is_restored(built, tmp_path: Path, fake_strip, reason: str) -> None:
    module = copy(built.plain, tmp_path / "pkg" / "_mod.so")
    original = module.read_bytes()

    result = strip_files([module], tool="strip", machine=built.machine, run=fake_strip)

    [outcome] = result.restored
    assert outcome.path == module
    assert reason in outcome.reason
    assert outcome.bytes_saved == 0
    assert module.read_bytes() == original
    assert call_answer(module) == "42"


def test_the_misaligned_file_really_does_not_load(built, tmp_path: Path) -> None:
    # Guards the fake above: the check must reject what the real loader rejects.
    module = copy(built.plain, tmp_path / "_mod.so")
    misaligning_strip(["strip", "--strip-unneeded", str(module)])

    assert "not page-aligned" in call_answer(module)


def test_files_are_stripped_in_batches(built, tmp_path: Path) -> None:
    modules = [copy(built.plain, tmp_path / f"m{i}" / "_mod.so") for i in range(5)]
    calls: list[list[str]] = []

    def recording_strip(argv: Sequence[str]) -> tuple[int, str]:
        calls.append(list(argv))
        return run_strip(argv)

    result = strip_files(
        modules, tool=host_strip(built.machine), machine=built.machine, run=recording_strip, batch_size=2
    )

    assert [len(call) - 2 for call in calls] == [2, 2, 1]
    assert all(call[1] == "--strip-unneeded" for call in calls)
    assert [f.status for f in result.files] == ["stripped"] * 5
    assert [f.path for f in result.files] == modules


def test_stripping_twice_leaves_the_file_unchanged(built, tmp_path: Path) -> None:
    module = copy(built.plain, tmp_path / "_mod.so")
    tool = host_strip(built.machine)
    strip_files([module], tool=tool, machine=built.machine)

    [again] = strip_files([module], tool=tool, machine=built.machine).files

    assert (again.status, again.bytes_saved) == ("unchanged", 0)


def test_non_elf_file_is_skipped_not_handed_to_strip(built, tmp_path: Path) -> None:
    text = tmp_path / "pkg" / "script.so"
    text.parent.mkdir()
    text.write_text("INPUT(-lfoo)\n")
    module = copy(built.plain, tmp_path / "pkg" / "_mod.so")
    calls: list[list[str]] = []

    def recording_strip(argv: Sequence[str]) -> tuple[int, str]:
        calls.append(list(argv))
        return 0, ""

    result = strip_files([text, module], tool="strip", machine=built.machine, run=recording_strip)

    assert calls == [["strip", "--strip-unneeded", str(module)]]
    assert (result.files[0].status, result.files[0].reason) == ("skipped", "not an ELF file")


def test_strip_errors_are_reported(built, tmp_path: Path) -> None:
    module = copy(built.plain, tmp_path / "_mod.so")

    result = strip_files(
        [module], tool="strip", machine=built.machine, run=lambda argv: (1, "strip: out of memory\n")
    )

    assert result.tool_errors == ("strip exited with 1: strip: out of memory",)
    assert result.files[0].status == "unchanged"
    assert result.bytes_saved == 0


def test_missing_strip_program_is_a_build_error(built, tmp_path: Path) -> None:
    module = copy(built.plain, tmp_path / "_mod.so")

    with pytest.raises(BuildError, match="minimize: could not run /nonexistent/strip"):
        strip_files([module], tool="/nonexistent/strip", machine=built.machine)


def fake_which(*present: str):
    return lambda name: f"/usr/bin/{name}" if name in present else None


@pytest.mark.parametrize(
    ("machine", "host", "present", "expected"),
    [
        ("x86_64", "x86_64", ["strip", "aarch64-linux-gnu-strip"], "/usr/bin/strip"),
        ("aarch64", "aarch64", ["strip"], "/usr/bin/strip"),
        ("aarch64", "x86_64", ["strip", "aarch64-linux-gnu-strip"], "/usr/bin/aarch64-linux-gnu-strip"),
        ("x86_64", "aarch64", ["strip", "x86_64-linux-gnu-strip"], "/usr/bin/x86_64-linux-gnu-strip"),
        ("aarch64", "x86_64", ["strip", "llvm-strip-14"], "/usr/bin/llvm-strip-14"),
        ("aarch64", "x86_64", ["strip", "llvm-strip"], "/usr/bin/llvm-strip"),
        ("aarch64", "x86_64", ["strip"], None),
    ],
)
def test_strip_tool_matches_the_target_machine(
    machine: str, host: str, present: list[str], expected: str | None
) -> None:
    found = find_strip_tool(machine, which=fake_which(*present), host_machine=host, host_system="Linux")
    assert found == expected


def test_macos_strip_is_never_used_for_elf() -> None:
    found = find_strip_tool("aarch64", which=fake_which("strip"), host_machine="arm64", host_system="Darwin")
    assert found is None


@pytest.mark.parametrize("which_tool", ["aarch64-linux-gnu-strip", "llvm-strip"])
def test_aarch64_module_is_stripped_by_a_cross_strip(built, tmp_path: Path, which_tool: str) -> None:
    # find_strip_tool falls back on llvm-strip when there is no GNU strip for the machine.
    present = shutil.which(which_tool)
    tool = find_strip_tool("aarch64", which=lambda name: present if name == which_tool else None)
    if built.arm_plain is None or tool is None:
        pytest.skip(f"needs gcc-aarch64-linux-gnu and {which_tool} (binutils-aarch64-linux-gnu, llvm)")
    module = copy(built.arm_plain, tmp_path / "layer" / "python" / "pkg" / "_mod.so")

    result = strip_files([module], tool=tool, machine="aarch64")

    [outcome] = result.files
    assert outcome.status == "stripped"
    assert outcome.bytes_after < outcome.bytes_before
    assert check_tree(tmp_path / "layer", machine="aarch64", glibc=(2, 26), os_id="al2") == []
