from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from builder.layer.elfcheck import ElfProblem, check_tree

MakeLayer = Callable[[dict[str, Path | bytes]], Path]
EXT = "python/pkg/_mod.cpython-312-x86_64-linux-gnu.so"


def other_machine(machine: str) -> str:
    return "aarch64" if machine == "x86_64" else "x86_64"


def check_al2(root: Path, machine: str) -> list[ElfProblem]:
    return check_tree(root, machine=machine, glibc=(2, 26), os_id="al2")


def check_al2023(root: Path, machine: str) -> list[ElfProblem]:
    return check_tree(root, machine=machine, glibc=(2, 34), os_id="al2023")


def test_a_sound_library_has_no_problems(built, make_layer: MakeLayer) -> None:
    root = make_layer({EXT: built.plain, "python/pkg/__init__.py": b""})
    assert check_al2(root, built.machine) == []


def test_library_needing_a_newer_glibc_is_reported(built, make_layer: MakeLayer) -> None:
    root = make_layer({EXT: built.new_glibc})

    [problem] = check_al2(root, built.machine)

    assert (problem.path, problem.kind) == (EXT, "glibc-too-new")
    assert "GLIBC_2.34" in problem.detail
    assert "Amazon Linux 2 has glibc 2.26" in problem.detail
    assert check_al2023(root, built.machine) == []


def test_packed_relative_relocations_need_glibc_2_36(built, make_layer: MakeLayer) -> None:
    if built.relr is None:
        pytest.skip("this linker cannot write DT_RELR (-z pack-relative-relocs)")
    root = make_layer({EXT: built.relr})

    [problem] = check_al2023(root, built.machine)

    assert problem.kind == "glibc-too-new"
    assert "DT_RELR" in problem.detail
    assert check_tree(root, machine=built.machine, glibc=(2, 36), os_id="al2023") == []


def test_file_for_another_architecture_is_reported(built, make_layer: MakeLayer) -> None:
    root = make_layer({EXT: built.plain})
    target = other_machine(built.machine)

    [problem] = check_al2(root, target)

    assert (problem.path, problem.kind) == (EXT, "wrong-machine")
    assert problem.detail.startswith(f"is built for {built.machine}")


def test_aarch64_file_in_an_x86_64_layer_is_reported(built, make_layer: MakeLayer) -> None:
    if built.arm_plain is None:
        pytest.skip("no aarch64-linux-gnu-gcc (Debian: gcc-aarch64-linux-gnu)")
    root = make_layer({EXT: built.arm_plain})

    [problem] = check_al2(root, "x86_64")

    assert problem.kind == "wrong-machine"
    assert "aarch64" in problem.detail
    assert check_al2(root, "aarch64") == []


def test_elf_detection_goes_by_content_not_name(built, make_layer: MakeLayer) -> None:
    root = make_layer(
        {
            "python/pkg/not_elf.so": b"this is a linker script, not a library\n",
            "python/pkg/bin/tool": built.plain,  # an ELF file without an extension
        }
    )

    problems = check_al2(root, other_machine(built.machine))

    assert [(p.path, p.kind) for p in problems] == [("python/pkg/bin/tool", "wrong-machine")]


def test_truncated_elf_file_is_unreadable(built, make_layer: MakeLayer) -> None:
    root = make_layer({EXT: built.plain.read_bytes()[:100]})

    [problem] = check_al2(root, built.machine)

    assert problem.kind == "unreadable"


def test_missing_needed_library_is_reported(built, make_layer: MakeLayer) -> None:
    root = make_layer({EXT: built.user})

    [problem] = check_al2(root, built.machine)

    assert (problem.path, problem.kind) == (EXT, "missing-needed")
    assert problem.detail.startswith("needs libdep.so,")
    assert "Amazon Linux 2's system libraries" in problem.detail


def test_library_without_section_headers_is_still_checked(built, make_layer: MakeLayer) -> None:
    # The loader needs only program headers; `sstrip`-style tools drop the section table.
    data = bytearray(built.user.read_bytes())
    data[0x28:0x30] = bytes(8)  # e_shoff
    data[0x3C:0x40] = bytes(4)  # e_shnum, e_shstrndx
    root = make_layer({EXT: bytes(data)})

    [problem] = check_al2(root, built.machine)

    assert problem.kind == "missing-needed"
    assert "libdep.so" in problem.detail


@pytest.mark.parametrize("tags", ["user_runpath", "user_rpath"])
def test_needed_library_found_through_origin_path(built, make_layer: MakeLayer, tags: str) -> None:
    root = make_layer({EXT: getattr(built, tags), "python/pkg.libs/libdep.so": built.dep})

    assert check_al2(root, built.machine) == []


def test_origin_path_to_a_folder_without_the_library_is_reported(built, make_layer: MakeLayer) -> None:
    root = make_layer({EXT: built.user_runpath, "python/elsewhere/libdep.so": built.dep})

    [problem] = check_al2(root, built.machine)

    assert problem.kind == "missing-needed"
    assert "python/pkg.libs/" in problem.detail  # says where it looked


def test_needed_library_found_in_the_layer_lib_folder(built, make_layer: MakeLayer) -> None:
    # Lambda puts /opt/lib on LD_LIBRARY_PATH.
    root = make_layer({EXT: built.user, "lib/libdep.so": built.dep})

    assert check_al2(root, built.machine) == []


def test_x11_is_not_a_lambda_system_library(built, make_layer: MakeLayer) -> None:
    # manylinux allows linking libX11.so.6 from the system; Lambda has none.
    root = make_layer({EXT: built.x11_user})

    [problem] = check_al2023(root, built.machine)

    assert problem.kind == "missing-needed"
    assert "libX11.so.6" in problem.detail


def test_libstdcxx_newer_than_amazon_linux_2_is_reported(built, make_layer: MakeLayer) -> None:
    root = make_layer({EXT: built.new_cxx})

    [problem] = check_al2(root, built.machine)

    assert problem.kind == "libstdcxx-too-new"
    assert "GLIBCXX_3.4.26" in problem.detail
    assert "GLIBCXX_3.4.24" in problem.detail  # what Amazon Linux 2 has
    assert check_al2023(root, built.machine) == []


def test_vendored_libstdcxx_found_through_rpath_is_not_held_to_the_system_one(
    built, make_layer: MakeLayer
) -> None:
    # DT_RPATH is searched before LD_LIBRARY_PATH, so the copy next to the module is the one loaded.
    root = make_layer({EXT: built.cxx_rpath, "python/pkg/libstdc++.so.6": built.plain})

    assert check_al2(root, built.machine) == []


def test_every_problem_in_a_tree_is_reported_with_its_path(built, make_layer: MakeLayer) -> None:
    root = make_layer(
        {
            "python/a/one.so": built.new_glibc,
            "python/b/two.so": built.user,
            "python/c/three.so": built.plain,
        }
    )

    problems = check_al2(root, built.machine)

    assert [(p.path, p.kind) for p in problems] == [
        ("python/a/one.so", "glibc-too-new"),
        ("python/b/two.so", "missing-needed"),
    ]


def _loader_of_libuser(built, folder: Path, new_dtags: bool) -> Path:
    """An extension module that needs libuser.so, with $ORIGIN/../pkg.libs as RPATH or RUNPATH."""
    import subprocess

    source = folder / "loader.c"
    source.write_text("int user_value(void);\nint load(void) { return user_value(); }\n")
    out = folder / ("loader_runpath.so" if new_dtags else "loader_rpath.so")
    dtags = "-Wl,--enable-new-dtags" if new_dtags else "-Wl,--disable-new-dtags"
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-o",
            str(out),
            str(source),
            "-L",
            str(built.user.parent),
            "-luser",
            "-Wl,-rpath,$ORIGIN/../pkg.libs",
            dtags,
        ],
        check=True,
    )
    return out


def test_grafted_library_finds_its_sibling_through_the_loaders_rpath(
    built, make_layer: MakeLayer, tmp_path: Path
) -> None:
    # auditwheel's layout (scipy 1.16 libgfortran → libquadmath): the grafted library has no RPATH
    # of its own; ld.so searches the DT_RPATH of the extension module that loads it.
    loader = _loader_of_libuser(built, tmp_path, new_dtags=False)
    root = make_layer(
        {EXT: loader, "python/pkg.libs/libuser.so": built.user, "python/pkg.libs/libdep.so": built.dep}
    )

    assert check_al2(root, built.machine) == []


def test_runpath_of_the_loader_is_not_inherited(built, make_layer: MakeLayer, tmp_path: Path) -> None:
    # DT_RUNPATH applies only to the object's own DT_NEEDED entries (man ld.so).
    loader = _loader_of_libuser(built, tmp_path, new_dtags=True)
    root = make_layer(
        {EXT: loader, "python/pkg.libs/libuser.so": built.user, "python/pkg.libs/libdep.so": built.dep}
    )

    [problem] = check_al2(root, built.machine)

    assert (problem.path, problem.kind) == ("python/pkg.libs/libuser.so", "missing-needed")
