"""The stack planner on in-memory listings: the rules that need ELF files of several machines."""

from __future__ import annotations

from builder.inspect import stack, zipscan
from builder.inspect.elfscan import ElfFile

RULES = stack.Rules(
    unzipped_limit=1_000,
    max_layers=5,
    runtime_glibc={"python3.11": (2, 26), "python3.12": (2, 34)},
    runtime_provided=frozenset({"boto3"}),
)


def part(
    position: int,
    files: dict[str, int],
    *,
    archs: tuple[str, ...] = (),
    elf: tuple[ElfFile, ...] = (),
    runtimes: tuple[str, ...] = (),
) -> stack.Part:
    entries = tuple(
        zipscan.Entry(path=p, size=s, compressed=s, site="python/", top=p.split("/")[1])
        for p, s in files.items()
    )
    listing = zipscan.group(entries, {}, kind="layer", archive_bytes=0)
    return stack.Part(
        label=f"l{position}.zip",
        kind="layer",
        position=position,
        listing=listing,
        runtimes=runtimes,
        archs=archs,
        arch_from="manifest" if archs else "",
        elf=elf,
    )


def test_exactly_at_the_limit_fits_one_byte_more_does_not():
    assert stack.plan([part(1, {"python/a/x": 600}), part(2, {"python/b/y": 400})], RULES).works
    over = stack.plan([part(1, {"python/a/x": 600}), part(2, {"python/b/y": 401})], RULES)
    assert over.problems == (
        "the function code and layers unzip to 1,001 bytes, 1 over Lambda's limit of 1,000; the biggest "
        "contributor is layer 1 (l1.zip): 600 bytes, most of it a (600 bytes)",
    )
    assert over.headroom_bytes == -1


def test_a_layer_with_elf_files_for_another_machine_than_it_claims_cannot_work():
    arm = ElfFile(path="python/a/x.so", arch="arm64", glibc=(2, 17))
    plan = stack.plan([part(1, {"python/a/x.so": 10}, archs=("x86_64",), elf=(arm,))], RULES)
    assert plan.problems == ("layer 1 (l1.zip) is for x86_64 but python/a/x.so is built for arm64",)


def test_a_layer_mixing_machines_cannot_work():
    files = (
        ElfFile(path="python/a/x.so", arch="arm64", glibc=None),
        ElfFile(path="python/a/y.so", arch="x86_64", glibc=None),
    )
    plan = stack.plan([part(1, {"python/a/x.so": 10, "python/a/y.so": 10}, elf=files)], RULES)
    assert plan.problems == ("layer 1 (l1.zip) mixes ELF files for arm64 and x86_64",)


def test_packed_relocations_need_a_glibc_no_runtime_has():
    relr = ElfFile(path="python/a/x.so", arch="x86_64", glibc=(2, 36))
    plan = stack.plan([part(1, {"python/a/x.so": 10}, elf=(relr,))], RULES)
    assert plan.problems == (
        "ELF files need a newer glibc than any Lambda runtime offers "
        "(layer 1 (l1.zip): python/a/x.so needs glibc 2.36 but python3.11 has 2.26)",
    )
    assert {item.runtime for item in plan.glibc} == {"python3.11", "python3.12"}


def test_common_runtimes_narrow_the_glibc_check():
    new = ElfFile(path="python/a/x.so", arch="x86_64", glibc=(2, 34))
    plan = stack.plan([part(1, {"python/a/x.so": 10}, elf=(new,), runtimes=("python3.12",))], RULES)
    assert plan.works and plan.glibc == () and plan.runtimes == ("python3.12",)


def test_a_package_in_one_place_only_is_no_duplicate_and_lib_folders_are_no_packages():
    layer_1 = part(1, {"python/a/x": 10})
    layer_2 = part(2, {"python/b/y": 10})
    plan = stack.plan([layer_1, layer_2], RULES)
    assert plan.duplicates == () and plan.overwritten_files == 0
