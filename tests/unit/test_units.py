"""One unit for sizes everywhere: decimal, 1 MB = 1,000,000 bytes."""

from __future__ import annotations

from builder import units


def test_sizes_are_decimal_with_their_unit_named():
    assert units.size(730) == "730 B"
    assert units.size(12_400) == "12.4 kB"
    assert units.size(262_144_000) == "262.1 MB"  # Lambda's "250 MB" unzipped limit
    assert units.size(80_530_636_800) == "80.5 GB"  # its "75 GB" code storage
    assert units.size(None) == "?"
    assert units.mb(52_428_800) == "52.4"


def test_counts_name_their_noun_in_the_right_number():
    assert units.count(1, "target") == "1 target"
    assert units.count(2, "target") == "2 targets"
    assert units.count(0, "version") == "0 versions"
    assert units.count(1204, "file") == "1,204 files"
    assert units.count(1, "extension module") == "1 extension module"
