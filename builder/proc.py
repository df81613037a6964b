"""The one place layer-builder starts subprocesses, so every failure is reported the same way."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuildError

TAIL_LINES = 20


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = TAIL_LINES) -> str:
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return "\n".join(text[-lines:])


def run(
    argv: Sequence[str | Path],
    *,
    step: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> Result:
    """Run a command, capture its output; with check, a non-zero exit is a BuildError naming the step."""
    args = tuple(str(a) for a in argv)
    try:
        done = subprocess.run(
            args,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            timeout=timeout,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:  # not found, not executable, wrong format
        raise BuildError(step, f"could not run {args[0]}: {exc.strerror or exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildError(step, f"{Path(args[0]).name} did not finish within {timeout:.0f} s") from exc
    result = Result(args, done.returncode, done.stdout, done.stderr)
    if check and not result.ok:
        raise BuildError(step, f"{Path(args[0]).name} exited with {result.returncode}:\n{result.tail()}")
    return result


def probe(argv: Sequence[str | Path], *, timeout: float = 30) -> Result | None:
    """Ask a program something; None when it cannot start or does not answer in time.

    For questions whose failure is an answer (is this a working Python? is uv installed?), not an error.
    """
    try:
        return run(argv, step="probe", timeout=timeout, check=False)
    except BuildError:
        return None
