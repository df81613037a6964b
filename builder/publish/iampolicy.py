"""The least-privilege IAM policy for `publish`: the Lambda layer actions on layer ARNs, the S3
actions on the upload bucket only, nothing account-wide.

Resource types per action are from Lambda's permissions reference
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): PublishLayerVersion
and ListLayerVersions take the layer's ARN, the per-version actions the version's ARN.
PublishLayerVersion from S3 reads the object with the caller's permissions, hence s3:GetObject.

`app` holds `layer-builder iam-policy publish` (listed in builder/policies/cli.py).
"""

from __future__ import annotations

import re
from typing import Any

import typer

from builder.console import handle_errors
from builder.errors import ConfigError
from builder.policies.options import AccountOpt, AssumeOpt, PartitionOpt, print_json, roles
from builder.publish.naming import DEFAULT_BUCKET, bucket_name
from builder.publish.plan import KEPT_PREFIX, UPLOAD_PREFIX

LAYER_ACTIONS = ("lambda:ListLayerVersions", "lambda:PublishLayerVersion")
LAYER_VERSION_ACTIONS = (
    "lambda:AddLayerVersionPermission",
    "lambda:DeleteLayerVersion",  # only the duplicate a concurrent run of the same content made (once.py)
    "lambda:GetLayerVersion",
    "lambda:GetLayerVersionPolicy",
)
BUCKET_ACTIONS = (  # --create-bucket, and the region check before an upload
    "s3:CreateBucket",
    "s3:GetBucketLocation",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
)
OBJECT_ACTIONS = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject")
# --ssm-parameter: read the value first (an unchanged ARN is not written again), then write it.
PARAMETER_ACTIONS = ("ssm:GetParameter", "ssm:PutParameter")


def publish_policy(
    *,
    partition: str = "aws",
    account: str = "*",
    bucket: str = DEFAULT_BUCKET,
    layer: str = "*",
    assume: tuple[str, ...] = (),
    ssm_parameter: str | None = None,
) -> dict[str, Any]:
    """The policy document publishing needs. `bucket` may hold {account} and {region}; a
    placeholder becomes a wildcard in the ARN (or the account when one is given). With
    `ssm_parameter` (publish's --ssm-parameter template), the parameters it names, nothing else."""
    if "{" in bucket:
        bucket_name(bucket, account="123456789012", region="us-east-1")  # refuse a bad template
    pattern = bucket.replace("{account}", account).replace("{region}", "*")
    layer_arn = f"arn:{partition}:lambda:*:{account}:layer:{layer}"
    statements: list[dict[str, Any]] = [
        _allow("ReadAndPublishLayers", LAYER_ACTIONS, layer_arn),
        _allow("ReadAndShareLayerVersions", LAYER_VERSION_ACTIONS, f"{layer_arn}:*"),
        _allow("UploadBucket", BUCKET_ACTIONS, f"arn:{partition}:s3:::{pattern}"),
        _allow(
            "UploadObjects",
            OBJECT_ACTIONS,
            [f"arn:{partition}:s3:::{pattern}/{prefix}*" for prefix in (UPLOAD_PREFIX, KEPT_PREFIX)],
        ),
    ]
    if ssm_parameter is not None:
        statements.append(
            _allow(
                "WriteLayerArnParameters", PARAMETER_ACTIONS, parameter_arn(ssm_parameter, partition, account)
            )
        )
    if assume:
        statements.append(_allow("AssumePublishRoles", ("sts:AssumeRole",), sorted(assume)))
    return {"Version": "2012-10-17", "Statement": statements}


def _allow(sid: str, actions: tuple[str, ...], resource: str | list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}


def parameter_arn(template: str, partition: str, account: str) -> str:
    """The ARN pattern of the parameters a --ssm-parameter template names: each placeholder a
    wildcard. A name with levels is `parameter/a/b` in its ARN; a plain one `parameter/name`."""
    pattern = re.sub(r"\{[^{}]*\}", "*", template)
    if re.search(r"[^A-Za-z0-9_./*-]", pattern):
        raise ConfigError(
            f"--ssm-parameter {template!r} is not a parameter name template",
            hint="e.g. --ssm-parameter '/layers/{recipe}/{runtime}-{arch}'",
        )
    return f"arn:{partition}:ssm:*:{account}:parameter{'' if pattern.startswith('/') else '/'}{pattern}"


app = typer.Typer()


@app.command("publish")
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
    policy = publish_policy(
        partition=partition,
        account=account,
        bucket=bucket or DEFAULT_BUCKET,
        layer=layer_name,
        assume=roles(assume),
        ssm_parameter=ssm_parameter,
    )
    print_json(policy)
