"""The least-privilege IAM policy for `publish`: the Lambda layer actions on layer ARNs, the S3
actions on the upload bucket only, nothing account-wide.

Resource types per action are from Lambda's permissions reference
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): PublishLayerVersion
and ListLayerVersions take the layer's ARN, the per-version actions the version's ARN.
PublishLayerVersion from S3 reads the object with the caller's permissions, hence s3:GetObject.
"""

from __future__ import annotations

from typing import Any

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


def publish_policy(
    *,
    partition: str = "aws",
    account: str = "*",
    bucket: str = DEFAULT_BUCKET,
    layer: str = "*",
    assume: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The policy document publishing needs. `bucket` may hold {account} and {region}; a
    placeholder becomes a wildcard in the ARN (or the account when one is given)."""
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
    if assume:
        statements.append(_allow("AssumePublishRoles", ("sts:AssumeRole",), sorted(assume)))
    return {"Version": "2012-10-17", "Statement": statements}


def _allow(sid: str, actions: tuple[str, ...], resource: str | list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}
