"""The least-privilege IAM policy for `tune --function`: read, change memory, publish, invoke and
delete versions of the functions it is allowed to tune, and nothing account-wide.

Resource types per action are from Lambda's permissions reference
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): the configuration
actions take the function's ARN; Invoke and DeleteFunction of a version take the qualified ARN
(function:NAME:VERSION), hence both forms.
"""

from __future__ import annotations

from typing import Any

import typer

from builder.console import handle_errors
from builder.policies.options import AccountOpt, AssumeOpt, PartitionOpt, print_json, roles

FUNCTION_ACTIONS = (
    "lambda:GetFunctionConfiguration",
    "lambda:ListVersionsByFunction",
    "lambda:PublishVersion",
    "lambda:UpdateFunctionConfiguration",
)
VERSION_ACTIONS = ("lambda:DeleteFunction", "lambda:InvokeFunction")


def tune_policy(
    *, partition: str = "aws", account: str = "*", function: str = "*", assume: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The policy document `tune --function` needs for functions named `function` (a name or glob)."""
    arn = f"arn:{partition}:lambda:*:{account}:function:{function}"
    statements: list[dict[str, Any]] = [
        _allow("ReadAndTuneFunctions", FUNCTION_ACTIONS, arn),
        _allow("InvokeAndDeleteTuneVersions", VERSION_ACTIONS, [arn, f"{arn}:*"]),
    ]
    if assume:
        statements.append(_allow("AssumeTuneRoles", ("sts:AssumeRole",), sorted(assume)))
    return {"Version": "2012-10-17", "Statement": statements}


def _allow(sid: str, actions: tuple[str, ...], resource: str | list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}


app = typer.Typer()


@app.command("tune")
@handle_errors
def iam_policy_tune(
    function: str = typer.Option("*", "--function", help="Limit the ARNs to this function name or glob."),
    partition: str = PartitionOpt,
    account: str = AccountOpt,
    assume: list[str] | None = AssumeOpt,
) -> None:
    """Print the least-privilege IAM policy that `tune --function` needs."""
    print_json(tune_policy(partition=partition, account=account, function=function, assume=roles(assume)))
