"""`layer-builder iam-policy NAME`: a table of policies and the area module that prints each.

Like builder/cli.py's table of commands, a module is imported only when its policy is asked for
(or listed in --help), so this group couples no area to another: a new area adds one line. Each
module holds a typer `app` with one command named as its policy, using the options in
builder/policies/options.py.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

# policy name -> module with a typer `app` that defines the command of that name
POLICIES: dict[str, str] = {
    "prune": "builder.cleanup.iampolicy",
    "publish": "builder.publish.iampolicy",
    "tune": "builder.tune.iampolicy",
    "stackset": "builder.cleanup.iampolicy",
}


class _LazyPolicies(TyperGroup):
    # Typed loosely, as in builder/cli.py: typer 0.29 vendors click, older releases use click itself.
    def list_commands(self, ctx: Any) -> list[str]:
        return list(POLICIES)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module = POLICIES.get(cmd_name)
        if module is None:
            return None
        area = importlib.import_module(module).app
        return typer.main.get_group(area).get_command(ctx, cmd_name)


app = typer.Typer()
iam_policy_app = typer.Typer(
    cls=_LazyPolicies, help="Print the IAM policies layer-builder needs.", no_args_is_help=True
)
app.add_typer(iam_policy_app, name="iam-policy")
