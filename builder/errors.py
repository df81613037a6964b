"""One exception root for everything a user can get wrong or the world can break.

Each type carries its exit code; the CLI has a single handler that prints the message
and the hint and exits with that code. Messages say what failed, why, and what to do next.
"""

from __future__ import annotations


class LayerBuilderError(Exception):
    """Root of every error the CLI turns into a message and an exit code."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class ConfigError(LayerBuilderError):
    """Bad command-line input or an environment that cannot work (missing tool, bad path)."""

    exit_code = 2


class RecipeError(LayerBuilderError):
    """A recipe file that cannot be read, parsed or validated. Names the file and the key."""

    exit_code = 3


class LockError(LayerBuilderError):
    """A lock that is missing, stale, unreadable, or cannot be resolved for the target."""

    exit_code = 4


class BuildError(LayerBuilderError):
    """A build step failed. The message starts with the step's name."""

    exit_code = 5

    def __init__(self, step: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{step}: {message}", hint=hint)
        self.step = step


class NoCompatibleWheelError(BuildError):
    """A locked requirement has no wheel that loads on the target; only a source build can help."""


class SizeLimitError(BuildError):
    """The layer does not fit under Lambda's unzipped size limit minus the recipe's headroom."""

    exit_code = 6


class VerificationError(BuildError):
    """The built layer failed its ELF checks or its smoke test."""

    exit_code = 7


class ContainerError(BuildError):
    """The container engine is missing, unreachable, or a command inside a container failed."""

    exit_code = 8


class AwsError(LayerBuilderError):
    """An AWS call failed in a way the user must act on (credentials, region, permissions)."""

    exit_code = 9


class ManifestError(LayerBuilderError):
    """A layer's manifest.json is missing, unreadable, of another schema version, or does not match the zip."""

    exit_code = 10


class Interrupted(LayerBuilderError):
    """The user pressed Ctrl-C; the message says what was done and what was not."""

    exit_code = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


class StackError(LayerBuilderError):
    """The layers (and function code) given to `check` cannot work together on Lambda."""

    exit_code = 11


class FileSystemError(LayerBuilderError):
    """A file or folder could not be written: disk full, permission denied, read-only file system."""

    exit_code = 12


# errno -> what to do; anything else gets the general hint.
_OS_HINTS = {
    28: "the disk is full (ENOSPC): free space on the file system that holds it, or write elsewhere",
    122: "the disk quota is used up (EDQUOT): free space, or write elsewhere",
    13: "permission denied (EACCES): check who owns the folder, or write elsewhere",
    1: "operation not permitted (EPERM): check who owns the folder, or write elsewhere",
    30: "the file system is read-only (EROFS): write to a folder on a writable file system",
}


def is_write_refusal(exc: OSError) -> bool:
    """A full disk, a quota, a permission or a read-only file system: the machine's state, not a bug."""
    return (exc.errno or 0) in _OS_HINTS


def os_error(exc: OSError, what: str, path: object = None) -> FileSystemError:
    """One line for an OSError: what could not be done, to which path, why, and a hint by errno."""
    where = path if path is not None else exc.filename
    reason = exc.strerror or str(exc)
    return FileSystemError(
        f"{what} {where}: {reason}" if where is not None else f"{what}: {reason}",
        hint=_OS_HINTS.get(exc.errno or 0, "check free disk space and the folder's permissions"),
    )
