"""The ELF files in a zip: which machine each is built for and the newest glibc it needs.

The zip is not extracted; each ELF member is copied to one scratch file at a time and read with the
build's own ELF reader, so inspecting and building agree on what a file needs.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from elftools.common.exceptions import ELFError

from builder.inspect import bounds
from builder.layer import elfcheck
from builder.runtimes import architectures, limits


@dataclass(frozen=True, kw_only=True)
class ElfFile:
    path: str  # as in the zip
    arch: str  # "x86_64", "arm64", or pyelftools' name for anything else
    glibc: tuple[int, int] | None  # the newest glibc it needs


def scan_elf(path: Path, cap: int | None = None) -> tuple[ElfFile, ...]:
    """The ELF files of the zip; members over `cap` bytes (default: Lambda's unzipped limit) are
    not copied out to be read."""
    cap = limits().unzipped_bytes if cap is None else cap
    found: list[ElfFile] = []
    with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory(prefix="lb-elf-") as scratch:
        copy = Path(scratch) / "member"
        for info in archive.infolist():
            if info.is_dir() or not elfcheck.may_be_elf(info.filename) or bounds.unsafe_path(info.filename):
                continue
            if info.file_size > cap or bounds.is_symlink(info):
                continue  # no library that big fits in a layer; the size check says so
            with archive.open(info) as member:
                if member.read(4) != elfcheck.ELF_MAGIC:
                    continue
            with archive.open(info) as member, copy.open("wb") as out:
                shutil.copyfileobj(member, out, 1 << 20)  # at most file_size bytes: zipfile stops there
            try:
                elf = elfcheck.read_elf_info(copy)
            except (ELFError, OSError, ValueError, KeyError):
                continue  # a garbled file is the build's ELF check's business, not a stack question
            arch = arch_of_machine().get(elf.e_machine, elf.e_machine)
            found.append(ElfFile(path=info.filename, arch=arch, glibc=elfcheck.glibc_required(elf)))
    return tuple(found)


@cache
def arch_of_machine() -> dict[str, str]:
    """pyelftools' machine names -> Lambda's architecture names, from the runtime table."""
    return {elfcheck.E_MACHINE[arch.machine]: name for name, arch in architectures().items()}
