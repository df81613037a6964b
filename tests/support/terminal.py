"""The real CLI in a terminal of a given width (a pseudo-terminal), as a user at a shell sees it."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Mapping, Sequence

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def run(
    args: Sequence[str],
    *,
    columns: int = 80,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> tuple[int, str]:
    """Exit code and stdout (colours removed) of `python -m builder ARGS` with stdout on a terminal
    `columns` wide; stderr is not a terminal, so progress stays out of the way."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environ = {**(env if env is not None else os.environ), "COLUMNS": str(columns), "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "builder", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env=environ,
        cwd=cwd,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    code = process.wait(timeout=600)
    return code, ANSI.sub("", b"".join(chunks).decode(errors="replace")).replace("\r", "")


def columns_of(text: str) -> list[str]:
    """The body of the first box-drawn table in `text`, one string per column: every line's piece
    of that column joined, so a cell folded over several lines reads whole again."""
    rows: list[list[str]] = []
    started = False
    for line in text.splitlines():
        if line.lstrip().startswith(("┡", "├")):
            started = True
            continue
        if started and line.lstrip().startswith("└"):
            break
        if started and "│" in line:
            rows.append([piece.strip() for piece in line.split("│")[1:-1]])
    width = max((len(row) for row in rows), default=0)
    return ["".join(row[i] for row in rows if i < len(row)) for i in range(width)]


def headers_of(text: str) -> list[str]:
    """The first table's headers, each read whole even when folded over several lines."""
    rows = [[piece.strip() for piece in line.split("┃")[1:-1]] for line in text.splitlines() if "┃" in line]
    rows = rows[: next((i for i in range(1, len(rows)) if len(rows[i]) != len(rows[0])), len(rows))]
    return [" ".join(row[i] for row in rows if row[i]) for i in range(len(rows[0]))] if rows else []
