"""Rich progress for the build's long steps: a spinner while a step runs, a tick and its time after."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.status import Status


class RichProgress:
    def __init__(self, console: Console, prefix: str = "") -> None:
        self.console = console
        self.prefix = prefix
        self.notes: list[str] = []
        self._status: Status | None = None
        self._heading = ""

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        started = time.perf_counter()
        self._heading = f"{self.prefix}[bold]{name}[/bold]: {description}"
        with self.console.status(self._heading) as status:
            self._status = status
            try:
                yield
            except BaseException:
                self.console.print(f"{self.prefix}[red]✗[/red] {name}: {description}")
                raise
            finally:
                self._status = None
        elapsed = time.perf_counter() - started
        self.console.print(f"{self.prefix}[green]✓[/green] {name} [dim]({elapsed:.1f} s)[/dim]")

    def output(self, line: str) -> None:
        """A line a long-running command printed (pip in the container): shown under the spinner."""
        if self._status is not None and line.strip():
            self._status.update(f"{self._heading}\n  [dim]{escape(line.strip()[:120])}[/dim]")

    def note(self, message: str) -> None:
        self.notes.append(message)
        self.console.print(f"{self.prefix}[yellow]note[/yellow]: {message}")
