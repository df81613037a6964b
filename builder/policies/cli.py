"""`layer-builder iam-policy NAME`: a table of policies and the area module that prints each.

Like builder/cli.py's table of commands, a module is imported only when its policy is asked for
(or listed in --help), so this group couples no area to another: a new area adds one line. Each
module holds a typer `app` with one command named as its policy, using the options in
builder/policies/options.py.
"""

from __future__ import annotations

import typer

from builder.lazycli import lazy_group

# policy name -> module with a typer `app` that defines the command of that name
POLICIES: dict[str, str] = {
    "prune": "builder.cleanup.iampolicy",
    "publish": "builder.publish.iampolicy",
    "tune": "builder.tune.iampolicy",
    "stackset": "builder.cleanup.iampolicy",
}


app = typer.Typer()
iam_policy_app = typer.Typer(
    cls=lazy_group(POLICIES), help="Print the IAM policies layer-builder needs.", no_args_is_help=True
)
app.add_typer(iam_policy_app, name="iam-policy")
