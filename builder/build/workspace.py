"""Where a build writes: its output folder, and the scratch folder it works in until every step passed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from builder import manifest
from builder.build import leftovers
from builder.build.options import BuildOptions
from builder.recipe import Recipe
from builder.runtimes import Target


def output_dir(options: BuildOptions, recipe: Recipe, target: Target) -> Path:
    return manifest.layer_dir(options.output_root, recipe.name, target.key)


@contextmanager
def workspace(options: BuildOptions) -> Iterator[Path]:
    """A fresh scratch folder under the output root's .work/, removed afterwards unless kept."""
    root = options.output_root / ".work"
    leftovers.clear_work(root)  # what killed builds left; never the folder of a running one
    with leftovers.owned_dir(root, "") as work:
        try:
            yield work
        finally:
            if options.keep_work:
                leftovers.keep(work)
            else:
                shutil.rmtree(work, ignore_errors=True)
