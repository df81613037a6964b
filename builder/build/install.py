"""The embedded local backend's install step: locked wheels for the target into python/."""

from __future__ import annotations

from pathlib import Path

from builder import proc
from builder.build import pipcmd
from builder.errors import BuildError, NoCompatibleWheelError
from builder.runtimes import Target

HASH_MISMATCH = "THESE PACKAGES DO NOT MATCH THE HASHES"


def no_wheel_error(what: str, target: Target) -> NoCompatibleWheelError:
    """`what` ("numpy==1.21.6 has") cannot be installed from a wheel: only a source build helps."""
    return NoCompatibleWheelError(
        "install",
        f"{what} no wheel for {target.describe()}; the local backend installs wheels only",
        hint="build it from source in an Amazon Linux container with --backend docker",
    )


def install_locked(lock_path: Path, target: Target, site: Path) -> None:
    """Install exactly the lock's wheels, hashes required, for the target platform, without bytecode.

    Bytecode is compiled later by the target interpreter: pip would compile with the host's.
    """
    site.mkdir(parents=True, exist_ok=True)
    argv = [
        *pipcmd.pip_argv(),
        "install",
        "--quiet",
        "--no-deps",
        "--require-hashes",
        "--no-compile",
        "--no-warn-script-location",
        "--target",
        str(site),
        *pipcmd.target_args(target),
        "--requirement",
        str(lock_path),
    ]
    result = proc.run(argv, step="install", check=False)
    if result.ok:
        return
    missing = pipcmd.missing_distribution(result.stderr)
    if missing:
        raise no_wheel_error(f"{missing} has", target)
    if HASH_MISMATCH in result.stderr:
        raise BuildError(
            "install",
            f"a downloaded wheel does not match the hash in {lock_path}:\n{result.tail(10)}",
            hint="the index served a different file than the lock recorded; re-lock only if you trust the change",
        )
    raise BuildError("install", f"pip install failed:\n{result.tail()}")
