"""The newest glibc an ELF file needs, as `check` compares it with each runtime's."""

from __future__ import annotations

from typing import Any

import pytest

from builder.layer import elfcheck


def test_the_newest_glibc_version_a_library_needs(built: Any):
    assert elfcheck.glibc_required(elfcheck.read_elf_info(built.new_glibc)) == (2, 34)
    plain = elfcheck.glibc_required(elfcheck.read_elf_info(built.plain))
    assert plain is None or plain < (2, 34)


def test_packed_relative_relocations_need_glibc_2_36(built: Any):
    if built.relr is None:
        pytest.skip("this linker cannot pack relative relocations (-z pack-relative-relocs)")
    info = elfcheck.read_elf_info(built.relr)
    assert info.relr
    assert elfcheck.glibc_required(info) == (2, 36)
