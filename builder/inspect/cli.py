"""`inspect`, `check` and `diff`: where a layer's bytes and import time go. Each parses, calls one function, renders."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from builder.console import alias, err_console, handle_errors
from builder.errors import ConfigError, StackError
from builder.inspect import check, diff, html, inspection, render, sources
from builder.interpreters import locate as interpreters

app = typer.Typer()

RuntimeOpt = typer.Option(None, "--runtime", "-r", help="Runtime of a built recipe, e.g. python3.12.")
ArchOpt = typer.Option(None, "--arch", "-a", help="Architecture of a built recipe: x86_64 or arm64.")
LAYERS_DIR = Path("layers")
LayersDirOpt = typer.Option(
    None, "--layers-dir", help="Folder the recipes were built into (default ./layers)."
)
OldLayersOpt = typer.Option(None, "--layers", hidden=True)  # the older spelling of --layers-dir
ProfileOpt = typer.Option(
    None, "--profile", help="AWS profile to read a layer version ARN with (default: AWS_PROFILE)."
)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
PythonOpt = typer.Option(
    None,
    "--python",
    help="Interpreter of the layer's Python version for import times: an executable, a wrapper or a "
    "launcher command, run exactly as given (see docs/interpreters.md).",
)
ImportOpt = typer.Option(
    None, "--import", help="Module to time (repeatable; default: the recipe's smoke imports)."
)
NoTimeOpt = typer.Option(False, "--no-import-time", help="Skip measuring import time.")
RunsOpt = typer.Option(3, "--runs", min=1, max=20, help="Import-time runs; the median one is shown.")


def _lambda_clients(profile: str | None) -> Callable[[str], Any]:
    def client(region: str) -> Any:
        from builder import aws  # boto3 only when an ARN is inspected

        options = aws.client_config(aws.AwsOptions())
        return aws.base_session(profile).client("lambda", region_name=region, config=options)

    return client


def _layers(layers_dir: Path | None, old_layers: Path | None) -> Path:
    return alias(layers_dir, old_layers, "--layers-dir and --layers", LAYERS_DIR)


def _where(
    layers: Path, runtime: str | None, arch: str | None, scratch: Path, profile: str | None
) -> sources.Where:
    scratch.mkdir(parents=True, exist_ok=True)
    return sources.Where(
        layers_root=layers,
        runtime=runtime,
        arch=arch,
        scratch=scratch,
        lambda_client=_lambda_clients(profile),
    )


def _times(
    skip: bool,
    python: str | None,
    runtime: str | None,
    arch: str | None,
    imports: list[str] | None,
    runs: int,
) -> inspection.TimeOptions:
    return inspection.TimeOptions(
        measure=not skip,
        python=interpreters.parse_command(python) if python is not None else None,
        runtime=runtime,
        arch=arch,
        imports=tuple(imports or ()),
        runs=runs,
        env=os.environ,
    )


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror}", hint="pick a file in a folder that exists"
        ) from exc
    err_console.print(f"wrote {path}")


@app.command("inspect")
@handle_errors
def inspect_command(
    target: str = typer.Argument(
        ..., metavar="TARGET", help="A built recipe, a layer zip, or a layer version ARN."
    ),
    runtime: str | None = RuntimeOpt,
    arch: str | None = ArchOpt,
    layers_dir: Path | None = LayersDirOpt,
    old_layers: Path | None = OldLayersOpt,
    profile: str | None = ProfileOpt,
    python: str | None = PythonOpt,
    imports: list[str] | None = ImportOpt,
    no_import_time: bool = NoTimeOpt,
    runs: int = RunsOpt,
    html_file: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report here."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Show a layer's packages by size, what minimizing removed, and the cold import time of its smoke imports."""
    with tempfile.TemporaryDirectory(prefix="lb-inspect-") as scratch:
        where = _where(_layers(layers_dir, old_layers), runtime, arch, Path(scratch), profile)
        source = sources.resolve(target, where)
        times = _times(no_import_time, python, runtime, arch, imports, runs)
        report = inspection.inspect(source, times, Path(scratch))
    if html_file is not None:
        _write(html_file, html.page(report))
    render.inspection(report, as_json=as_json)


@app.command("check")
@handle_errors
def check_command(
    targets: list[str] = typer.Argument(
        ..., metavar="LAYER...", help="Up to 5 layers in order: zips, built recipes or ARNs."
    ),
    function_zip: Path | None = typer.Option(None, "--function-zip", help="The function's own code zip."),
    runtime: str | None = typer.Option(
        None, "--runtime", "-r", help="The function's runtime (also picks built recipes)."
    ),
    arch: str | None = typer.Option(
        None, "--arch", "-a", help="The function's architecture (also picks built recipes)."
    ),
    layers_dir: Path | None = LayersDirOpt,
    old_layers: Path | None = OldLayersOpt,
    profile: str | None = ProfileOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Check that layers (and function code) fit and work together; exit non-zero when they cannot."""
    layers = _layers(layers_dir, old_layers)
    with tempfile.TemporaryDirectory(prefix="lb-check-") as scratch:
        found = [
            sources.resolve(t, _where(layers, runtime, arch, Path(scratch) / str(i), profile))
            for i, t in enumerate(targets)
        ]
        plan = check.check(found, function_zip, runtime=runtime, arch=arch)
    render.stack_plan(plan, as_json=as_json)
    if not plan.works:
        raise StackError(
            f"the stack cannot work: {plan.problems[0]}", hint="see the report above; the reason comes first"
        )


@app.command("diff")
@handle_errors
def diff_command(
    old: str = typer.Argument(
        ..., metavar="OLD", help="A layer zip or a built manifest.json / layer folder."
    ),
    new: str = typer.Argument(..., metavar="NEW"),
    runtime: str | None = RuntimeOpt,
    arch: str | None = ArchOpt,
    layers_dir: Path | None = LayersDirOpt,
    old_layers: Path | None = OldLayersOpt,
    profile: str | None = ProfileOpt,
    python: str | None = PythonOpt,
    imports: list[str] | None = typer.Option(
        None,
        "--import",
        help="Module to time in both (repeatable; default: the smoke imports both layers share).",
    ),
    no_import_time: bool = NoTimeOpt,
    runs: int = RunsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Compare two builds: packages added, removed or changed, and the bytes and import time each costs."""
    times = _times(no_import_time, python, runtime, arch, imports, runs)
    layers = _layers(layers_dir, old_layers)
    with tempfile.TemporaryDirectory(prefix="lb-diff-") as scratch:
        found = [
            sources.resolve(target, _where(layers, runtime, arch, Path(scratch) / name, profile))
            for name, target in (("old", old), ("new", new))
        ]
        result = diff.compare(found[0], found[1], times, Path(scratch))
    render.diff(result, as_json=as_json)
