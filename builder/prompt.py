"""A yes/no question on the terminal that Ctrl-C always ends at once.

`input()` (and click's `confirm`, which calls it) can miss a Ctrl-C: a SIGINT that lands after the
question is written but before the blocking read() starts only sets CPython's "signal pending"
flag, and the flag is looked at when the read returns, that is after the next line of input. Here
the read waits in select() on stdin and on a pipe that CPython's C-level signal handler writes to
(signal.set_wakeup_fd, https://docs.python.org/3/library/signal.html#signal.set_wakeup_fd): a
signal that arrives at any moment wakes the select, control returns to Python code, and the
handler raises KeyboardInterrupt there.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

YES = frozenset({"y", "yes"})


def confirm(question: str, *, stdin: TextIO | None = None, stderr: TextIO | None = None) -> bool | None:
    """Ask `question [y/N]:` on stderr. True for y/yes, False for anything else, None at end of
    input. Ctrl-C raises KeyboardInterrupt as soon as it is pressed."""
    stdin = stdin or sys.stdin
    stderr = stderr or sys.stderr
    stderr.write(f"{question} [y/N]: ")
    stderr.flush()
    line = read_line(stdin)
    if line is None:
        return None
    return line.strip().lower() in YES


def read_line(stream: TextIO) -> str | None:
    """One line from `stream` (None at end of input), interruptible by a signal at any moment."""
    fd = _fileno(stream)
    if fd is None or os.name != "posix" or threading.current_thread() is not threading.main_thread():
        # No descriptor (a test runner's in-memory stdin) or no wakeup fd to be had: plain read.
        line = stream.readline()
        return line if line else None
    data = bytearray()
    with _wakeup_pipe() as wakeup:
        while not data.endswith(b"\n"):
            ready, _, _ = select.select([fd, wakeup], [], [])
            if wakeup in ready:
                # A signal arrived; its Python handler runs as soon as this frame executes the next
                # instruction (KeyboardInterrupt for Ctrl-C). Any other signal: keep waiting.
                with contextlib.suppress(BlockingIOError):
                    os.read(wakeup, 512)
            if fd in ready:
                # One byte at a time: what follows the answer stays unread for whoever reads next.
                chunk = os.read(fd, 1)
                if not chunk:
                    break
                data += chunk
    if not data:
        return None
    return data.decode(errors="replace")


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return None


@contextlib.contextmanager
def _wakeup_pipe() -> Iterator[int]:
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)  # set_wakeup_fd requires a non-blocking descriptor
    previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    try:
        yield read_end
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)
