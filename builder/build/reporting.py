"""How a step reports: the progress protocol the pipeline talks to, and `step()`, which names a step.

`step()` shows a step on the progress display and turns a file-system failure inside it into an
error that starts with the step's name: a full disk, a quota, a permission or a read-only file
system is a FileSystemError (exit 12, with a hint for that errno); anything else that step's
BuildError. progress.py is the rich display.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from builder.build import steps
from builder.errors import BuildError, is_write_refusal, os_error


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
            if is_write_refusal(exc):
                raise os_error(exc, f"{name}: could not write") from exc
            where = f" ({exc.filename})" if exc.filename else ""
            raise BuildError(
                name,
                f"{exc.strerror or exc}{where}",
                hint="check free disk space and permissions of the layers folder (--layers-dir)",
            ) from exc
