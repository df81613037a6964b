"""Read what an account already has in a region: the newest version of each layer (its content
hash and who may use it) and, when a zip must go through S3, the bucket. Read-only calls only, so
`--dry-run` runs exactly this.

Lambda's PublishLayerVersion creates a new version on every call, even for identical content
(https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html), so "unchanged" has to
be found out here: ListLayerVersions has no CodeSha256, GetLayerVersion has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from builder.aws import error_code
from builder.publish.grants import Grant, from_policy

BucketStatus = Literal["ours", "missing", "other-owner"]


@dataclass(frozen=True, kw_only=True)
class Newest:
    version: int
    arn: str
    code_sha256: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True, kw_only=True)
class LayerState:
    name: str
    newest: Newest | None  # None: the layer has no version in this region


@dataclass(frozen=True, kw_only=True)
class BucketState:
    name: str
    status: BucketStatus
    region: str | None = None  # where an existing bucket of ours is


def list_versions(lam: Any, name: str) -> list[dict[str, Any]]:
    """Every version of the layer as ListLayerVersions gives it (every page)."""
    return [
        item
        for page in lam.get_paginator("list_layer_versions").paginate(LayerName=name)
        for item in page["LayerVersions"]
    ]


def read_layer(lam: Any, name: str) -> LayerState:
    versions = list_versions(lam, name)
    if not versions:
        return LayerState(name=name, newest=None)
    # Every page is read and the highest number taken: the order of the listing is not documented.
    newest = max(versions, key=lambda item: int(item["Version"]))
    number = int(newest["Version"])
    content = lam.get_layer_version(LayerName=name, VersionNumber=number)["Content"]
    return LayerState(
        name=name,
        newest=Newest(
            version=number,
            arn=str(newest["LayerVersionArn"]),
            code_sha256=str(content.get("CodeSha256", "")),
            grants=read_grants(lam, name, number),
        ),
    )


def read_grants(lam: Any, name: str, version: int) -> tuple[Grant, ...]:
    try:
        answer = lam.get_layer_version_policy(LayerName=name, VersionNumber=version)
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":  # no policy: nobody else may use it
            return ()
        raise
    return from_policy(answer.get("Policy"))


def read_bucket(s3: Any, name: str, account: str) -> BucketState:
    """Whether the bucket exists, belongs to this account, and where it is.

    ExpectedBucketOwner makes S3 answer 403 for a bucket of another account instead of letting us
    upload a layer into someone else's bucket
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html)."""
    try:
        answer = s3.get_bucket_location(Bucket=name, ExpectedBucketOwner=account)
    except ClientError as exc:
        code = error_code(exc)
        if code in ("NoSuchBucket", "404"):
            return BucketState(name=name, status="missing")
        if code in ("AccessDenied", "403"):
            return BucketState(name=name, status="other-owner")
        raise
    # GetBucketLocation answers null for us-east-1 and "EU" for the oldest eu-west-1 buckets.
    location = answer.get("LocationConstraint") or "us-east-1"
    return BucketState(name=name, status="ours", region="eu-west-1" if location == "EU" else location)
