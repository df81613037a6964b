"""The least-privilege IAM policy for pruning, built from `data/cleanup-iam.json`.

The SAM template of the scheduled job carries the same statements; a test keeps them equal.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

# Resource kinds in the data file -> ARN patterns. IAM's `*` also matches ":", so
# "function:*:*" matches only qualified ARNs (versions), never a whole function.
RESOURCES = {
    "*": "*",
    "function": "arn:{partition}:lambda:{region}:{account}:function:*",
    "function-version": "arn:{partition}:lambda:{region}:{account}:function:*:*",
    "layer": "arn:{partition}:lambda:{region}:{account}:layer:*",
    "layer-version": "arn:{partition}:lambda:{region}:{account}:layer:*:*",
}


def statements_data() -> list[dict[str, Any]]:
    text = resources.files("builder.data").joinpath("cleanup-iam.json").read_text(encoding="utf-8")
    data: list[dict[str, Any]] = json.loads(text)["statements"]
    return data


def prune_policy(
    *, partition: str = "aws", account: str = "*", region: str = "*", assume: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The policy document the pruning role needs; `assume` adds sts:AssumeRole on the roles a
    multi-account run (--role-arn) assumes."""
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
