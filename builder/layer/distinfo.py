"""Reading what a wheel installed: its `*.dist-info` folder's name and RECORD.

RECORD is CSV (https://packaging.python.org/en/latest/specifications/recording-installed-packages/):
the first field is a path relative to the site folder; entries outside it (`../bin/tool`, absolute
paths) are scripts and data installed elsewhere, never part of a layer's python/.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from packaging.utils import canonicalize_name


def record_paths(text: str) -> Iterator[str]:
    """The paths a RECORD lists under the site folder."""
    for row in csv.reader(text.splitlines()):
        if row and row[0] and not row[0].startswith(("..", "/")):
            yield row[0]


def drop_entries_outside(site: Path) -> None:
    """Remove RECORD rows for files outside the site folder: they are not in the layer.

    pip records the console scripts it writes (`../../bin/f2py`) with a hash of their shebang, the
    path of the Python that ran pip: left in, two installs of layer-builder at different paths would
    build layers with different bytes, and publishing would see a change where there is none.
    """
    for record in site.glob("*.dist-info/RECORD"):
        text = record.read_text(encoding="utf-8", errors="replace")
        kept = [
            line for line in text.splitlines(keepends=True) if not line.startswith(("..", "/", '"..', '"/'))
        ]
        if len(kept) != len(text.splitlines()):
            record.write_text("".join(kept), encoding="utf-8")


def distribution(dist_info: str) -> str:
    """The canonical distribution name of a `name-version.dist-info` folder."""
    return canonicalize_name(dist_info.removesuffix(".dist-info").split("-", 1)[0])
