"""The embedded local backend's install step: locked wheels for the target into python/."""

from __future__ import annotations

import re
from pathlib import Path

from builder import pipcmd, proc
from builder.errors import BuildError, NoCompatibleWheelError
from builder.runtimes import Target

NO_MATCH_RE = re.compile(r"No matching distribution found for ([^\s]+)")
HASH_MISMATCH = "THESE PACKAGES DO NOT MATCH THE HASHES"


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
    missing = NO_MATCH_RE.search(result.stderr)
    if missing:
        raise NoCompatibleWheelError(
            "install",
            f"{missing.group(1)} has no wheel for {target.key} ({target.runtime.os_name}, "
            f"glibc {target.runtime.glibc[0]}.{target.runtime.glibc[1]}, {target.runtime.abi}); "
            "the local backend installs wheels only",
            hint="build it from source in an Amazon Linux container with --backend docker",
        )
    if HASH_MISMATCH in result.stderr:
        raise BuildError(
            "install",
            f"a downloaded wheel does not match the hash in {lock_path}:\n{result.tail(10)}",
            hint="the index served a different file than the lock recorded; re-lock only if you trust the change",
        )
    raise BuildError("install", f"pip install failed:\n{result.tail()}")
