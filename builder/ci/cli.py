"""`layer-builder matrix RECIPE...`: the recipes' targets as a CI build matrix (builder/ci/matrix.py)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer

from builder.ci import matrix
from builder.console import choice, console, handle_errors
from builder.recipe import find_recipe, search_dirs

app = typer.Typer()


@app.command("matrix")
@handle_errors
def matrix_command(
    recipe_names: list[str] = typer.Argument(..., metavar="RECIPE"),
    ci_format: str = typer.Option(
        "github",
        "--format",
        callback=choice(matrix.FORMATS, "format"),
        help="github (one line of JSON for fromJSON), gitlab (a parallel:matrix block) or json.",
    ),
    runtime: list[str] | None = typer.Option(None, "--runtime", "-r", help="Only this runtime (repeatable)."),
    arch: list[str] | None = typer.Option(None, "--arch", "-a", help="Only this architecture (repeatable)."),
    runner: list[str] | None = typer.Option(
        None, "--runner", metavar="ARCH=RUNNER", help="Build ARCH on this runner label or tag (repeatable)."
    ),
    recipes: list[Path] | None = typer.Option(
        None, "--recipes", help="Folder of recipe files to search before the shipped recipes (repeatable)."
    ),
) -> None:
    """Print the runtime x architecture targets of RECIPE... as a CI matrix, each with its runner."""
    folders = search_dirs(recipes, Path.cwd())
    found = [find_recipe(name, folders) for name in recipe_names]
    ci = cast(matrix.Format, ci_format)  # checked by the option callback
    entries = matrix.entries(
        found,
        ci,
        runtimes=runtime or (),
        archs=arch or (),
        runners=matrix.parse_runner_overrides(runner or ()),
    )
    console.out(matrix.render(entries, ci), highlight=False)
