"""`layer-builder iam-policy prune|publish`: the least-privilege IAM policy each area needs."""

from __future__ import annotations

import json

import typer

from builder import aws
from builder.console import console, handle_errors

app = typer.Typer()
iam_policy_app = typer.Typer(help="Print the IAM policies layer-builder needs.", no_args_is_help=True)
app.add_typer(iam_policy_app, name="iam-policy")

PartitionOpt = typer.Option(
    "aws", "--partition", help="The AWS partition: aws, aws-cn, aws-us-gov, aws-iso, ..."
)
AccountOpt = typer.Option("*", "--account", help="Limit the ARNs to this account id.")
AssumeOpt = typer.Option(
    None, "--assume", metavar="ROLE_ARN", help="Also allow assuming this role (repeatable)."
)


@iam_policy_app.command("prune")
@handle_errors
def iam_policy_prune(
    partition: str = PartitionOpt, account: str = AccountOpt, assume: list[str] | None = AssumeOpt
) -> None:
    """Print the least-privilege IAM policy that `prune` and the scheduled job need."""
    from builder.cleanup import iampolicy

    roles = tuple(aws.validate_role_arn(arn) for arn in assume or ())
    _print_json(iampolicy.prune_policy(partition=partition, account=account, assume=roles))


@iam_policy_app.command("publish")
@handle_errors
def iam_policy_publish(
    bucket: str | None = typer.Option(
        None, "--bucket", help="The upload bucket, as given to publish ({account} and {region} allowed)."
    ),
    layer_name: str = typer.Option("*", "--layer-name", help="Limit the layer ARNs to this name or glob."),
    partition: str = PartitionOpt,
    account: str = AccountOpt,
    assume: list[str] | None = AssumeOpt,
    ssm_parameter: str | None = typer.Option(
        None,
        "--ssm-parameter",
        metavar="TEMPLATE",
        help="Also allow writing these SSM parameters, as given to publish ('/layers/{recipe}/{runtime}-{arch}').",
    ),
) -> None:
    """Print the least-privilege IAM policy that `publish` needs."""
    from builder.publish import iampolicy, naming

    roles = tuple(aws.validate_role_arn(arn) for arn in assume or ())
    policy = iampolicy.publish_policy(
        partition=partition,
        account=account,
        bucket=bucket or naming.DEFAULT_BUCKET,
        layer=layer_name,
        assume=roles,
        ssm_parameter=ssm_parameter,
    )
    _print_json(policy)


def _print_json(data: object) -> None:
    console.out(json.dumps(data, indent=2), highlight=False)
