"""What every `iam-policy` command takes and how it prints: shared by the areas' policy commands."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer

from builder import aws
from builder.console import console

PartitionOpt = typer.Option(
    "aws", "--partition", help="The AWS partition: aws, aws-cn, aws-us-gov, aws-iso, ..."
)
AccountOpt = typer.Option("*", "--account", help="Limit the ARNs to this account id.")
AssumeOpt = typer.Option(
    None, "--assume", metavar="ROLE_ARN", help="Also allow assuming this role (repeatable)."
)


def roles(assume: Sequence[str] | None) -> tuple[str, ...]:
    """The --assume roles, each checked to be a role ARN."""
    return tuple(aws.validate_role_arn(arn) for arn in assume or ())


def print_json(data: object) -> None:
    console.out(json.dumps(data, indent=2), highlight=False)
