"""The one place layer-builder starts subprocesses, so every failure is reported the same way."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from builder.errors import BuildError, FileSystemError, is_write_refusal, os_error

TAIL_LINES = 20
LINE_CHARS = 400  # pip can print a whole traceback as one line of 90,000 characters
# What a child prints when the file system refuses it ("[Errno 28] No space left on device: '/x'").
OS_ERROR = re.compile(r"\[Errno (?P<errno>\d+)\] (?P<reason>[^:'\n]+)(?::\s*'(?P<path>[^'\n]+)')?")


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
        return "\n".join(_cut(line) for line in text[-lines:])

    def file_system_error(self, step: str) -> FileSystemError | None:
        """A FileSystemError when the output says the disk was full or a path could not be written."""
        for stream in (self.stderr, self.stdout):
            for found in OS_ERROR.finditer(stream):
                error = OSError(int(found["errno"]), found["reason"].strip(), found["path"])
                if is_write_refusal(error):
                    return os_error(error, f"{step}: {Path(self.argv[0]).name} could not write")
        return None


def _cut(line: str) -> str:
    return line if len(line) <= LINE_CHARS else f"{line[:LINE_CHARS]}... ({len(line):,} characters)"


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
        failed = result.file_system_error(step)
        if failed is not None:
            raise failed
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
