"""A command group whose commands live in modules imported only when one of them runs.

Used by the root command (builder/cli.py) and by `iam-policy` (builder/policies/cli.py): an
unchanged rebuild answers in about a second, and importing boto3 or the docker SDK for it would
cost a good part of that. Each module named in the table holds a typer `app` that defines the
command of that name.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import typer
from typer.core import TyperGroup


def lazy_group(table: Mapping[str, str]) -> type[TyperGroup]:
    """A group class for `typer.Typer(cls=...)` listing `table`'s commands (command -> module)."""

    class LazyGroup(TyperGroup):
        # Typed loosely: typer 0.29 vendors click, older releases use click itself.
        def list_commands(self, ctx: Any) -> list[str]:
            return list(table)

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            module = table.get(cmd_name)
            if module is None:
                return None
            area = importlib.import_module(module).app
            return typer.main.get_group(area).get_command(ctx, cmd_name)

    return LazyGroup
