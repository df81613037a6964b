"""Rich progress for the build's long steps: a spinner while a step runs, a tick and its time after."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console


class RichProgress:
    def __init__(self, console: Console, prefix: str = "") -> None:
        self.console = console
        self.prefix = prefix
        self.notes: list[str] = []

    @contextmanager
    def step(self, name: str, description: str) -> Iterator[None]:
        started = time.perf_counter()
        with self.console.status(f"{self.prefix}[bold]{name}[/bold]: {description}"):
            try:
                yield
            except BaseException:
                self.console.print(f"{self.prefix}[red]✗[/red] {name}: {description}")
                raise
        elapsed = time.perf_counter() - started
        self.console.print(f"{self.prefix}[green]✓[/green] {name} [dim]({elapsed:.1f} s)[/dim]")

    def note(self, message: str) -> None:
        self.notes.append(message)
        self.console.print(f"{self.prefix}[yellow]note[/yellow]: {message}")
