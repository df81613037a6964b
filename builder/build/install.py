"""The embedded local backend's install step: locked wheels for the target into python/."""

from __future__ import annotations

from pathlib import Path

from builder import proc
from builder.build import pipcmd, steps
from builder.errors import BuildError, NoCompatibleWheelError
from builder.manifest import PackageIndexes
from builder.runtimes import Target

HASH_MISMATCH = "THESE PACKAGES DO NOT MATCH THE HASHES"


def no_wheel_error(what: str, target: Target) -> NoCompatibleWheelError:
    """`what` ("numpy==1.21.6 has") cannot be installed from a wheel: only a source build helps."""
    return NoCompatibleWheelError(
        steps.INSTALL,
        f"{what} no wheel for {target.describe()}; the local backend installs wheels only",
        hint="build it from source in an Amazon Linux container with --backend docker",
    )


def install_locked(
    lock_path: Path, target: Target, site: Path, indexes: PackageIndexes | None = None
) -> None:
    """Install exactly the lock's wheels for the target platform (see pipcmd.install_lock)."""
    site.mkdir(parents=True, exist_ok=True)
    argv = pipcmd.install_lock(lock_path, site=site, target=target, indexes=indexes)
    result = proc.run(argv, step=steps.INSTALL, check=False)
    if result.ok:
        return
    missing = pipcmd.missing_distribution(result.stderr)
    if missing:
        raise no_wheel_error(f"{missing} has", target)
    if HASH_MISMATCH in result.stderr:
        raise BuildError(
            steps.INSTALL,
            f"a downloaded wheel does not match the hash in {lock_path}:\n{result.tail(10)}",
            hint="the index served a different file than the lock recorded; re-lock only if you trust the change",
        )
    raise result.file_system_error(steps.INSTALL) or BuildError(
        steps.INSTALL, f"pip install failed:\n{result.tail()}"
    )
