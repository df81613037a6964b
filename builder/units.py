"""Sizes and counts for people. Sizes in one unit everywhere: decimal (SI), 1 MB = 1,000,000 bytes.

Every table and sentence (build, inspect, check, diff, storage, prune, publish) formats bytes here,
so "MB" means the same thing in all of them. Lambda's limits are exact byte counts (262,144,000
unzipped, 52,428,800 for a direct upload, 80,530,636,800 of code storage) that its documentation
calls 250 MB, 50 MB and 75 GB in binary units; in this tool's unit they read 262.1 MB, 52.4 MB and
80.5 GB. JSON output always carries plain bytes. No rich, no typer: the scheduled job may import it.
"""

from __future__ import annotations

KB = 1_000
MB = 1_000_000
GB = 1_000_000_000


def mb(value: int) -> str:
    """A number of megabytes for a column headed "MB": '1,234.5'."""
    return f"{value / MB:,.1f}"


def size(value: int | None) -> str:
    """Bytes with their unit, for a sentence or a mixed column: '730 B', '12.4 kB', '43.2 MB', '80.5 GB'."""
    if value is None:
        return "?"
    if abs(value) < KB:
        return f"{value} B"
    if abs(value) < MB:
        return f"{value / KB:.1f} kB"
    if abs(value) < GB:
        return f"{value / MB:,.1f} MB"
    return f"{value / GB:,.1f} GB"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 target', '2 targets', '1,204 files': a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
