"""Whether a build request makes sense before any work: the recipe allows the backend and target,
the output folder can be written. Notes what is built on request though not listed (or deprecated)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from builder.build.options import BuildOptions
from builder.build.reporting import Progress
from builder.errors import ConfigError
from builder.recipe import Recipe
from builder.runtimes import Target


def check_request(
    recipe: Recipe, target: Target, options: BuildOptions, backend: str, progress: Progress
) -> None:
    """`backend` is the name of the backend the build uses. The bytecode mode was checked where it
    came in: the recipe when parsed, --bytecode by the CLI."""
    _check_writable(options.output_root)
    if backend not in recipe.backends:
        raise ConfigError(
            f"recipe {recipe.name} does not allow the {backend} backend (allowed: {', '.join(recipe.backends)})"
        )
    # A runtime the recipe no longer lists by default (say, one Lambda deprecated) is still built on
    # request while its committed lock exists.
    listed = target.runtime.name in recipe.runtimes
    if target.arch.name not in recipe.architectures or not (listed or recipe.lock_path(target.key).is_file()):
        raise ConfigError(
            f"recipe {recipe.name} does not support {target.key}",
            hint=f"it lists runtimes {', '.join(recipe.runtimes)} and architectures {', '.join(recipe.architectures)}",
        )
    if not listed:
        progress.note(
            f"{target.runtime.name} is not among {recipe.name}'s default runtimes "
            f"({', '.join(recipe.runtimes)}); building it from its lock as asked"
        )
    if target.runtime.is_deprecated(options.today):
        progress.note(
            f"{target.runtime.name} is deprecated since {target.runtime.deprecated}; Lambda blocks creating "
            f"functions on {target.runtime.block_create} and updating them on {target.runtime.block_update}"
        )


def _check_writable(root: Path) -> None:
    """The layers folder must take new files: a read-only one would fail only after the install."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=root, prefix=".layer-builder-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"cannot use {root} as the output folder: {exc.strerror or exc}",
            hint="choose a folder you can write to with --layers-dir",
        ) from exc
