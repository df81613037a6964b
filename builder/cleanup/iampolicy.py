"""The least-privilege IAM policy for pruning, built from `data/cleanup-iam.json`.

The SAM template of the scheduled job carries the same statements; a test keeps them equal.
`app` holds `layer-builder iam-policy prune` (listed in builder/policies/cli.py).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import typer

from builder.accounts import DEFAULT_ORGANIZATION_ROLE, ROLE_NAME
from builder.console import handle_errors
from builder.errors import ConfigError
from builder.policies.options import AccountOpt, AssumeOpt, PartitionOpt, print_json, roles
from builder.suggest import did_you_mean

# AWS partitions as botocore's endpoint data names them (a unit test keeps this list inside
# botocore's); kept here so printing a policy needs no AWS library.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
ACCOUNT_ID = re.compile(r"[0-9]{12}")

# Resource kinds in the data file -> ARN patterns. IAM's `*` also matches ":", so
# "function:*:*" matches only qualified ARNs (versions), never a whole function.
RESOURCES = {
    "*": "*",
    "function": "arn:{partition}:lambda:{region}:{account}:function:*",
    "function-version": "arn:{partition}:lambda:{region}:{account}:function:*:*",
    "layer": "arn:{partition}:lambda:{region}:{account}:layer:*",
    "layer-version": "arn:{partition}:lambda:{region}:{account}:layer:*:*",
}
ORGANIZATION_ACTIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
)


def statements_data() -> list[dict[str, Any]]:
    text = resources.files("builder.data").joinpath("cleanup-iam.json").read_text(encoding="utf-8")
    data: list[dict[str, Any]] = json.loads(text)["statements"]
    return data


def prune_policy(
    *,
    partition: str = "aws",
    account: str = "*",
    region: str = "*",
    assume: tuple[str, ...] = (),
    unused_functions: bool = False,
) -> dict[str, Any]:
    """The policy document the pruning role needs; `assume` adds sts:AssumeRole on the roles a
    multi-account run (--role-arn) assumes. Raises ConfigError for a partition, account id or role
    that no ARN of the policy can match: such a policy would allow nothing."""
    check_partition(partition)
    check_account(account)
    for role in assume:
        check_role_partition(role, partition)
    return policy_document(
        partition=partition, account=account, region=region, assume=assume, unused_functions=unused_functions
    )


def policy_document(
    *,
    partition: str,
    account: str,
    region: str = "*",
    assume: tuple[str, ...] = (),
    unused_functions: bool = False,
) -> dict[str, Any]:
    """The document with the values put in as given, unchecked: the SAM template passes
    CloudFormation's ${AWS::Partition} and ${AWS::AccountId}."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": row["sid"],
            "Effect": "Allow",
            "Action": sorted(row["actions"]),
            "Resource": RESOURCES[row["resource"]].format(
                partition=partition, account=account, region=region
            ),
        }
        for row in statements_data()
        if row.get("only") is None or (row["only"] == "unused-functions" and unused_functions)
    ]
    if assume:
        statements.append(
            {
                "Sid": "AssumeCleanupRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": sorted(assume),
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def check_partition(partition: str) -> str:
    if partition not in PARTITIONS:
        raise ConfigError(
            f"unknown partition {partition!r}{did_you_mean(partition, PARTITIONS)}",
            hint=f"use one of {', '.join(PARTITIONS)} (aws for the commercial regions)",
        )
    return partition


def check_role_partition(role: str, partition: str) -> str:
    if role.split(":")[1:2] != [partition]:
        raise ConfigError(
            f"--assume {role} is not in the {partition} partition: the policy could never allow it",
            hint=f"pass a role ARN starting with arn:{partition}:, or the --partition the role is in",
        )
    return role


def check_account(account: str) -> str:
    if account != "*" and not ACCOUNT_ID.fullmatch(account):
        raise ConfigError(
            f"--account must be a 12-digit AWS account id, got {account!r}",
            hint="copy it from `aws sts get-caller-identity`, leading zeros included; or leave "
            "--account out for any account",
        )
    return account


app = typer.Typer()


@app.command("prune")
@handle_errors
def iam_policy_prune(
    partition: str = PartitionOpt,
    account: str = AccountOpt,
    assume: list[str] | None = AssumeOpt,
    unused_functions: bool = typer.Option(
        False, "--unused-functions", help="Also allow deleting whole functions (prune --unused-functions)."
    ),
    organization: bool = typer.Option(
        False,
        "--organization",
        help="The policy of the caller of prune/storage --organization (management or delegated "
        "administrator account): list the organization, assume the role in each account.",
    ),
    role_name: str = typer.Option(
        DEFAULT_ORGANIZATION_ROLE,
        "--role-name",
        help="With --organization: the role assumed in each account.",
    ),
) -> None:
    """Print the least-privilege IAM policy that `prune` and the scheduled job need."""
    if organization:
        print_json(organization_policy(partition=partition, role_name=role_name))
        return
    print_json(
        prune_policy(
            partition=partition, account=account, assume=roles(assume), unused_functions=unused_functions
        )
    )


def organization_policy(*, partition: str, role_name: str) -> dict[str, Any]:
    """What `storage/prune --organization` needs in the account it runs from, beyond the prune
    policy each member account's role grants: list the organization's accounts (recursively by OU),
    read which regions each account has enabled, and assume the named role everywhere."""
    check_partition(partition)
    if not ROLE_NAME.fullmatch(role_name):
        raise ConfigError(f"not an IAM role name: {role_name!r}", hint="e.g. OrganizationAccountAccessRole")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListOrganization",
                "Effect": "Allow",
                "Action": sorted(ORGANIZATION_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "ListEnabledRegions",
                "Effect": "Allow",
                "Action": ["ec2:DescribeRegions"],  # accounts.EnabledRegions
                "Resource": "*",
            },
            {
                "Sid": "AssumeMemberRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": f"arn:{partition}:iam::*:role/{role_name}",
            },
        ],
    }


def stackset_policy(*, partition: str, code_bucket: str, report_bucket: str | None) -> dict[str, Any]:
    """What `job stackset --deploy` calls from the management (or delegated administrator)
    account: stage the code in the per-region buckets, set up the report bucket, create the stack
    set and its instances. The member accounts' stacks are created by CloudFormation's own
    service-linked roles (service-managed permissions), not by this policy."""
    check_partition(partition)
    buckets = [f"arn:{partition}:s3:::{code_bucket}-*"]
    if report_bucket:
        buckets.append(f"arn:{partition}:s3:::{report_bucket}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadOrganization",
                "Effect": "Allow",
                "Action": ["organizations:DescribeOrganization"],
                "Resource": "*",
            },
            {
                "Sid": "StageCodeAndReports",
                "Effect": "Allow",
                "Action": sorted(["s3:CreateBucket", "s3:PutBucketOwnershipControls", "s3:PutBucketPolicy"]),
                "Resource": buckets,
            },
            {
                "Sid": "UploadCode",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": f"arn:{partition}:s3:::{code_bucket}-*/*",
            },
            {
                "Sid": "CreateStackSet",
                "Effect": "Allow",
                "Action": sorted(
                    [
                        "cloudformation:CreateStackInstances",
                        "cloudformation:CreateStackSet",
                        "cloudformation:DescribeStackSet",
                        "cloudformation:DescribeStackSetOperation",
                        "cloudformation:ListStackInstances",
                    ]
                ),
                "Resource": f"arn:{partition}:cloudformation:*:*:stackset/*",
            },
        ],
    }


@app.command("stackset")
@handle_errors
def iam_policy_stackset(
    partition: str = PartitionOpt,
    code_bucket: str = typer.Option("layer-builder-cleanup-code", "--code-bucket"),
    report_bucket: str | None = typer.Option(None, "--report-bucket"),
) -> None:
    """Print the IAM policy that `job stackset --deploy` needs."""
    print_json(stackset_policy(partition=partition, code_bucket=code_bucket, report_bucket=report_bucket))
