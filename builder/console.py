"""Where output goes, and the one place a LayerBuilderError becomes a message and an exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from builder.errors import LayerBuilderError
from builder.suggest import did_you_mean

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=str)
T = TypeVar("T")

# Tables and results go to stdout; progress, warnings and errors to stderr, so `--json` output
# stays machine-readable.
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


UNBOUNDED_COLUMNS = 10_000


def print_table(table: Table, *, drop: Sequence[str] = (), out: Console | None = None) -> None:
    """Print a table whole, never cutting a cell to "scipy…".

    A terminal gets it at its width: every column folds what does not fit onto more lines, and the
    `drop` columns (headers, least wanted first) are left out while the table is wider than the
    terminal. A log or pipe gets it whole, however wide (without a terminal rich assumes 80
    columns, which a CI log cannot widen).
    """
    out = out or console
    if not out.is_terminal:
        width = max(out.width, _natural_width(out, table))
        # print(width=...) is capped at the console's width, so a console as wide as the table does it.
        Console(file=out.file, width=width, highlight=False, soft_wrap=True).print(table)
        return
    out.print(fit(table, out, drop))


def fit(table: Table, out: Console, drop: Sequence[str] = ()) -> Table:
    """The table folded to the console's width, without the `drop` columns it cannot afford."""
    for column in table.columns:
        if column.header == "":  # a bar drawn beside a number: shortened, never folded
            column.overflow, column.no_wrap = "crop", True
        else:
            column.overflow, column.no_wrap = "fold", False
    for header in drop:
        if _natural_width(out, table) <= out.width:
            break
        table.columns[:] = [column for column in table.columns if column.header != header]
    return table


def _natural_width(out: Console, table: Table) -> int:
    return out.measure(table, options=out.options.update_width(UNBOUNDED_COLUMNS)).maximum


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a CLI command: a LayerBuilderError becomes 'error: ...', a hint, and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LayerBuilderError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from exc
        except KeyboardInterrupt:
            err_console.print("[red]interrupted[/red]: nothing partial was left in the output")
            raise typer.Exit(130) from None

    return wrapper


def report_error(exc: LayerBuilderError) -> None:
    # Messages and hints quote TOML ("[minimize.packages.x] keep = ..."): never read them as markup.
    err_console.print(f"[bold red]error[/bold red]: {escape(exc.message)}", markup=True)
    if exc.hint:
        err_console.print(f"  [yellow]hint[/yellow]: {escape(exc.hint)}")


def alias(value: T | None, old: T | None, names: str, default: T) -> T:
    """Merge an option with its older spelling, kept as a hidden second option (typer cannot hide
    one name of an option): either may be given, not both with different values."""
    if value is not None and old is not None and value != old:
        raise typer.BadParameter(f"{names} name the same thing; give one of them")
    if value is not None:
        return value
    return old if old is not None else default


def choice(allowed: tuple[C, ...], what: str) -> Callable[[str | None], C | None]:
    """A typer option callback: the value must be one of `allowed`; a near miss gets "did you mean"."""

    def check(value: str | None) -> C | None:
        if value is None:
            return None
        for option in allowed:
            if value == option:
                return option
        raise typer.BadParameter(
            f"unknown {what} {value!r}{did_you_mean(value, allowed)}; use one of {', '.join(allowed)}"
        )

    return check
