"""Reading what a wheel installed: its `*.dist-info` folder's name and RECORD.

RECORD is CSV (https://packaging.python.org/en/latest/specifications/recording-installed-packages/):
the first field is a path relative to the site folder; entries outside it (`../bin/tool`, absolute
paths) are scripts and data installed elsewhere, never part of a layer's python/.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from packaging.utils import canonicalize_name


def record_paths(text: str) -> Iterator[str]:
    """The paths a RECORD lists under the site folder."""
    for row in csv.reader(text.splitlines()):
        if row and row[0] and not row[0].startswith(("..", "/")):
            yield row[0]


def distribution(dist_info: str) -> str:
    """The canonical distribution name of a `name-version.dist-info` folder."""
    return canonicalize_name(dist_info.removesuffix(".dist-info").split("-", 1)[0])
