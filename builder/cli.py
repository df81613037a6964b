"""The `layer-builder` command line: parse, call one function, render. No logic lives here."""

from __future__ import annotations

import typer

from builder import __version__

app = typer.Typer(
    name="layer-builder",
    help="Build, minimize, verify and publish scientific Python layers for AWS Lambda.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"layer-builder {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """layer-builder: NumPy, SciPy and pandas on Lambda, under the size limit, verified."""


def main() -> None:
    app()
