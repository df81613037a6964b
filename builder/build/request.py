"""Whether a build request makes sense before any work: the recipe allows the backend and target,
the output folder can be made. Notes what is built on request though not listed (or deprecated)."""

from __future__ import annotations

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
    try:
        options.output_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use {options.output_root} as the output folder: {exc.strerror}") from exc
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
