"""The build-side commands: `recipes list|show`, `lock` and `build`. Each parses, calls one function, renders."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from pathlib import Path
from typing import cast

import typer
from rich.markup import escape

from builder import units
from builder.build import lock, minimizer, package, pipeline, render, scaffold, unpack
from builder.build.backends import base
from builder.build.backends.choice import resolver_for
from builder.build.options import BuildOptions
from builder.build.progress import RichProgress
from builder.console import alias, choice, console, err_console, handle_errors, report_error
from builder.errors import ConfigError, LayerBuilderError
from builder.interpreters.locate import parse_command
from builder.manifest import Backend, BytecodeMode
from builder.recipe import (
    BACKENDS,
    BYTECODE_MODES,
    Recipe,
    find_recipe,
    parse_recipe,
    recipe_files,
    search_dirs,
    source_of,
)
from builder.requirements.model import FORMATS
from builder.requirements.read import Source
from builder.runtimes import ARCHITECTURES, Target, get_target

app = typer.Typer()
recipes_app = typer.Typer(help="List and show recipes.", no_args_is_help=True)
app.add_typer(recipes_app, name="recipes")

RecipesOpt = typer.Option(
    None,
    "--recipes",
    help="Folder of recipe files to search before the shipped recipes (repeatable; default ./recipes).",
)
RuntimeOpt = typer.Option(
    None,
    "--runtime",
    "-r",
    help="Lambda runtime, e.g. python3.12 (repeatable; default: all the recipe lists).",
)
ArchOpt = typer.Option(
    None, "--arch", "-a", help="x86_64 or arm64 (repeatable; default: all the recipe lists)."
)
LAYERS_DIR = Path("layers")
LOCK_SCRATCH = LAYERS_DIR / ".work"  # lock --backend docker: pip's report, written in the container
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
BackendOpt = typer.Option(
    "local",
    "--backend",
    callback=choice(BACKENDS, "backend"),
    help="local (wheels only, no Docker) or docker (Amazon Linux container).",
)
BaseImageOpt = typer.Option(
    None, "--base-image", help="docker: base image instead of the runtime's build image."
)
NetworkOpt = typer.Option("host", "--network", help="docker: network for the build container.")
KeepContainerOpt = typer.Option(False, "--keep-container", help="docker: keep the container for debugging.")


def _dirs(recipes: list[Path] | None) -> list[Path]:
    return search_dirs(recipes, Path.cwd())


def _targets(
    runtimes: list[str] | None,
    archs: list[str] | None,
    recipe_runtimes: tuple[str, ...],
    recipe_archs: tuple[str, ...],
) -> list[Target]:
    return [get_target(r, a) for r in (runtimes or recipe_runtimes) for a in (archs or recipe_archs)]


@recipes_app.command("list")
@handle_errors
def recipes_list(recipes: list[Path] | None = RecipesOpt, as_json: bool = JsonOpt) -> None:
    """List the recipes: yours (./recipes or --recipes) and the shipped ones, with where each came from."""
    folders = _dirs(recipes)
    parsed = [parse_recipe(path) for path in recipe_files(folders).values()]
    render.recipes_table(parsed, folders, as_json=as_json)


@recipes_app.command("show")
@handle_errors
def recipes_show(name: str, recipes: list[Path] | None = RecipesOpt, as_json: bool = JsonOpt) -> None:
    """Show one recipe (by name or path) and the state of its locks."""
    render.recipe_detail(find_recipe(name, _dirs(recipes)), as_json=as_json)


def _refuse_read_only(recipe: Recipe) -> None:
    """A shipped recipe inside an installed tool cannot take new locks: copy it to ./recipes first."""
    locks = recipe.path.parent / "locks"
    if not os.access(locks if locks.is_dir() else recipe.path.parent, os.W_OK):
        raise ConfigError(
            f"cannot write locks next to {recipe.path} ({source_of(recipe)})",
            hint=f"copy it into your own recipes: mkdir -p recipes && cp {recipe.path} recipes/, then lock again",
        )


@app.command("lock")
@handle_errors
def lock_command(
    recipe_name: str = typer.Argument(..., metavar="RECIPE"),
    runtime: list[str] | None = RuntimeOpt,
    arch: list[str] | None = ArchOpt,
    check: bool = typer.Option(
        False, "--check", help="Only check that the locks exist and are fresh; resolve nothing."
    ),
    backend: str = BackendOpt,
    base_image: str | None = BaseImageOpt,
    network: str = NetworkOpt,
    recipes: list[Path] | None = RecipesOpt,
) -> None:
    """Resolve the recipe for each runtime and architecture and write pinned, hashed locks.

    The local backend resolves wheels for the target's platform tags; the docker backend resolves
    inside the runtime's build image, where a dependency without a wheel may come as source.
    """
    recipe = find_recipe(recipe_name, _dirs(recipes))
    if not check:
        _refuse_read_only(recipe)
    resolver = resolver_for(
        cast(Backend, backend),  # checked by the option callback
        docker=base.DockerSettings(base_image=base_image, network=network),
        scratch_root=LOCK_SCRATCH.resolve(),
        notify=err_console.print,
    )
    for target in _targets(runtime, arch, recipe.runtimes, recipe.architectures):
        if check:
            _, path = lock.load_fresh(recipe, target)
            console.print(f"[green]fresh[/green] {path}")
            continue
        with err_console.status(f"resolving {recipe.name} for {target.key}"):
            try:
                resolved, path = lock.create(recipe, target, resolver)
            finally:
                package.remove_if_empty(LOCK_SCRATCH.resolve())
        pins = ", ".join(f"{p.name} {p.version}" for p in resolved.packages if p.requested)
        console.print(f"[green]locked[/green] {target.key}: {pins} → {path}")
        warning = lock.gpu_warning(resolved, lock.cpu_variants())
        if warning:
            err_console.print(f"[yellow]warning[/yellow]: {escape(warning)}")


@app.command("new")
@handle_errors
def new_command(
    name: str = typer.Argument(..., help="The recipe's name (its file is NAME.toml)."),
    source: Path = typer.Option(
        ...,
        "--from",
        "--requirements",
        help="What the layer holds: a requirements file, pyproject.toml, uv.lock, poetry.lock or "
        "pylock.toml (--requirements is the older spelling).",
    ),
    source_format: str | None = typer.Option(
        None,
        "--format",
        callback=choice(FORMATS, "format"),
        help=f"The file's format when its name does not tell: {', '.join(FORMATS)}.",
    ),
    extra: list[str] | None = typer.Option(
        None,
        "--extra",
        help="An optional-dependencies extra to include (pyproject, uv.lock, pylock; repeatable).",
    ),
    group: list[str] | None = typer.Option(
        None, "--group", help="A dependency group to include (PEP 735 or the lock's groups; repeatable)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Replace an existing recipe of that name and its locks."
    ),
    runtime: list[str] | None = RuntimeOpt,
    arch: list[str] | None = ArchOpt,
    recipes: list[Path] | None = typer.Option(
        None, "--recipes", help="Folder to write the recipe into (default ./recipes)."
    ),
) -> None:
    """Write a recipe from a project's requirements and lock it; then `layer-builder build NAME`.

    Nothing is written unless every target locks.
    """
    default_runtimes = scaffold.default_runtimes(dt.date.today())
    targets = [
        (t.runtime.name, t.arch.name) for t in _targets(runtime, arch, default_runtimes, ARCHITECTURES)
    ]
    folder = recipes[0] if recipes else Path.cwd() / "recipes"
    read_from = Source(
        path=source, format=source_format, extras=tuple(extra or ()), groups=tuple(group or ())
    )
    with err_console.status(f"locking {name} for {units.count(len(targets), 'target')}"):
        made = scaffold.new_recipe(
            name=name,
            source=read_from,
            folder=folder,
            targets=targets,
            resolver=lock.PipResolver(),
            force=force,
        )
    for note in made.notes:
        err_console.print(f"[cyan]note[/cyan]: {escape(note)}")
    for warning in made.warnings:
        err_console.print(f"[yellow]warning[/yellow]: {escape(warning)}")
    console.print(f"[green]wrote[/green] {made.path} (smoke test imports {', '.join(made.imports)})")
    console.print(f"[green]locked[/green] {units.count(len(made.locks), 'target')} → {made.locks[0].parent}")
    console.print(f"next: layer-builder build {name}" + (f" --recipes {folder}" if recipes else ""))


@app.command("build")
@handle_errors
def build_command(
    recipe_name: str = typer.Argument(..., metavar="RECIPE"),
    runtime: list[str] | None = RuntimeOpt,
    arch: list[str] | None = ArchOpt,
    backend: str = BackendOpt,
    base_image: str | None = BaseImageOpt,
    network: str = NetworkOpt,
    keep_container: bool = KeepContainerOpt,
    layers_dir: Path | None = typer.Option(
        None, "--layers-dir", help="Folder to write the layers into (default ./layers)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", hidden=True),  # the older spelling
    python: str | None = typer.Option(
        None,
        "--python",
        help="Interpreter of the target version for bytecode and the smoke test: an executable, a "
        "wrapper script or a launcher command, run exactly as given (see docs/interpreters.md).",
    ),
    bytecode: str | None = typer.Option(
        None,
        "--bytecode",
        callback=choice(BYTECODE_MODES, "bytecode mode"),
        help="auto, pyc, sourceless or none (default: the recipe's; auto keeps sources while the layer fits).",
    ),
    explain: bool = typer.Option(
        False,
        "--explain",
        help="Print the minimize plan per rule and per package (on a failed build too), and which "
        "packages went sourceless and why.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Install and print the minimize plan; write no layer."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Rebuild even when an identical layer exists."),
    keep_work: bool = typer.Option(False, "--keep-work", help="Keep the scratch folder for debugging."),
    unpack_to: str | None = typer.Option(
        None,
        "--unpack-to",
        metavar="DIR",
        help="Also unpack the layer's content (python/...) into this empty folder: a SAM Makefile "
        'target passes --unpack-to "$(ARTIFACTS_DIR)". One target only.',
    ),
    recipes: list[Path] | None = RecipesOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Build a layer for each runtime and architecture: install, minimize, verify, zip."""
    unpack_dir = unpack.destination(unpack_to, len(runtime or ()) * len(arch or ()), dry_run)
    recipe = find_recipe(recipe_name, _dirs(recipes))
    options = BuildOptions(
        output_root=alias(layers_dir, output, "--layers-dir and --output", LAYERS_DIR).resolve(),
        backend=cast(Backend, backend),  # checked by the option callback
        python=parse_command(python) if python is not None else None,
        bytecode=cast("BytecodeMode | None", bytecode),
        use_cache=not (no_cache or explain),
        dry_run=dry_run,
        keep_work=keep_work,
        docker=base.DockerSettings(base_image=base_image, network=network, keep_container=keep_container),
    )
    results, failures = [], []
    for target in _targets(runtime, arch, recipe.runtimes, recipe.architectures):
        progress = RichProgress(err_console, prefix=f"[cyan]{target.key}[/cyan] ")
        plans: list[minimizer.Plan] = []  # the latest, for --explain when a later step fails
        try:
            results.append(pipeline.build(recipe, target, replace(options, on_plan=plans.append), progress))
        except LayerBuilderError as exc:  # report it, go on with the other targets, fail at the end
            failures.append((target.key, exc))
            report_error(exc)
            if (explain or dry_run) and plans and not as_json:
                render.explain_failed(recipe.name, target.key, plans[-1])
    if unpack_dir is not None and results and results[0].zip_path is not None:
        files = unpack.unpack(results[0].zip_path, unpack_dir)
        err_console.print(f"unpacked {len(files)} files of {results[0].zip_path} into {unpack_dir}")
    render.build_results(results, failures, explain=explain or dry_run, as_json=as_json)
    if failures:
        raise typer.Exit(failures[0][1].exit_code)
