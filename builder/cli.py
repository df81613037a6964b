"""The `layer-builder` command line: a table of commands and the area module that holds each.

An area's module is imported only when one of its commands runs: an unchanged rebuild answers in
about a second, and importing boto3 or the docker SDK for it would cost a good part of that.
"""

from __future__ import annotations

import typer

from builder import __version__
from builder.lazycli import lazy_group

# command -> module with a typer `app` that defines it
COMMANDS: dict[str, str] = {
    "new": "builder.build.cli",
    "recipes": "builder.build.cli",
    "lock": "builder.build.cli",
    "build": "builder.build.cli",
    "matrix": "builder.ci.cli",
    "inspect": "builder.inspect.cli",
    "check": "builder.inspect.cli",
    "diff": "builder.inspect.cli",
    "publish": "builder.publish.cli",
    "storage": "builder.cleanup.cli",
    "prune": "builder.cleanup.cli",
    "job": "builder.cleanup.cli",
    "tune": "builder.tune.cli",
    "iam-policy": "builder.policies.cli",
}


app = typer.Typer(
    cls=lazy_group(COMMANDS),
    name="layer-builder",
    help="Build, minimize, verify and publish scientific Python layers for AWS Lambda.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"layer-builder {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """layer-builder: NumPy, SciPy and pandas on Lambda, under the size limit, verified."""


def main() -> None:
    app()
