"""How a step reports: the progress protocol the pipeline talks to, and `step()`, which names a step.

`step()` shows a step on the progress display and turns a file-system failure inside it into that
step's BuildError (the message starts with the step's name). progress.py is the rich display.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from builder.build import steps
from builder.errors import BuildError


class Progress(Protocol):
    def step(self, name: str, description: str) -> AbstractContextManager[None]: ...
    def output(self, line: str) -> None: ...
    def note(self, message: str) -> None: ...


@contextmanager
def step(progress: Progress, name: steps.StepName, description: str) -> Iterator[None]:
    """A named step: shown by the progress display; a file-system failure becomes that step's error."""
    with progress.step(name, description):
        try:
            yield
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise BuildError(
                name,
                f"{exc.strerror or exc}{where}",
                hint="check free disk space and permissions of the output folder (--output)",
            ) from exc
