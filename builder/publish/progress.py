"""One line of progress per account region on stderr (rich), fed from the worker threads."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn


class RegionProgress:
    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.fields[label]:<28}"),
            BarColumn(bar_width=20),
            TextColumn("{task.description}"),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> RegionProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def update(self, label: str, text: str, fraction: float | None) -> None:
        with self._lock:
            if label not in self._tasks:
                self._tasks[label] = self._progress.add_task(text, total=1.0, label=label)
        completed = {} if fraction is None else {"completed": fraction}
        self._progress.update(self._tasks[label], description=text, **completed)  # type: ignore[arg-type]
