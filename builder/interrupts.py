"""Ctrl-C as a request to stop: long AWS work (storage/prune deletes, tune's sweep) finishes what it
has sent instead of breaking off at whatever line KeyboardInterrupt lands on."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from builder.console import err_console


@contextmanager
def stop_on_interrupt(stop: threading.Event, first: str, again: str | None = None) -> Iterator[None]:
    """While inside, Ctrl-C sets `stop` instead of raising KeyboardInterrupt somewhere in the middle,
    and prints `first` (rich markup) on stderr; `again`, when given, on every later Ctrl-C. Not for
    around a prompt, where Ctrl-C must end the question at once (see builder/prompt.py)."""

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        # Stop first, then say so: once the message is out, no new call starts.
        repeated = stop.is_set()
        stop.set()
        if not repeated:
            err_console.print(first)
        elif again is not None:
            err_console.print(again)

    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
