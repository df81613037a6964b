"""Carry out one account region's plan: create the bucket, upload, publish, share.

Each layer's outcome is recorded; a failure stops that layer only. Nothing here decides: what to do
was settled by the plan, so a re-run after a failure finds the work done so far and plans only the
rest (a published version with the same content is not published again, a permission that is
there is not added again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from builder import aws
from builder.aws import describe, error_code
from builder.publish import once
from builder.publish.grants import Grant
from builder.publish.naming import license_info
from builder.publish.plan import UPLOAD_PREFIX, LayerPlan, Upload

Status = Literal["published", "unchanged", "failed", "planned"]
# Reports what a region is doing: a short phase and, while uploading, the fraction sent.
Report = Callable[[str, float | None], None]

# Four parts in flight per upload: several regions upload at once and share the machine's link.
TRANSFER = TransferConfig(max_concurrency=4)
LIFECYCLE_RULE = "layer-builder-expire-uploads"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    plan: LayerPlan
    status: Status
    version: int | None = None
    arn: str | None = None
    added: tuple[Grant, ...] = ()
    error: str | None = None
    notes: tuple[str, ...] = ()  # warnings: an answer that was lost, a duplicate, an upload left


@dataclass(frozen=True, kw_only=True)
class Publisher:
    """How PublishLayerVersion is called: a client that makes one attempt per call (see once.py),
    and how many calls to make at most."""

    client: Any
    attempts: int


def apply_layer(
    lam: Any,
    s3: Any,
    account: str,
    region: str,
    plan: LayerPlan,
    report: Report,
    publisher: Publisher | None = None,
) -> Outcome:
    added: list[Grant] = []
    version: int | None = None
    arn: str | None = None
    notes: list[str] = []
    if not plan.publish and plan.existing is not None:
        version, arn = plan.existing.version, plan.existing.arn
    try:
        if plan.publish:
            version, arn = _publish(lam, s3, account, region, plan, report, notes, publisher)
        for grant in plan.add:
            report(f"sharing {plan.layer.name}:{version} with {grant.describe()}", None)
            _add_permission(lam, plan.layer.name, int(version or 0), grant)
            added.append(grant)
    except (ClientError, BotoCoreError, PublishFailed) as exc:
        return Outcome(
            plan=plan,
            status="failed",
            version=version,
            arn=arn,
            added=tuple(added),
            error=str(exc) if isinstance(exc, PublishFailed) else describe(exc),
            notes=tuple(notes),
        )
    return Outcome(
        plan=plan,
        status="published" if plan.publish else "unchanged",
        version=version,
        arn=arn,
        added=tuple(added),
        notes=tuple(notes),
    )


class PublishFailed(Exception):
    """Lambda accepted the call but the result is not what was sent."""


def _publish(
    lam: Any,
    s3: Any,
    account: str,
    region: str,
    plan: LayerPlan,
    report: Report,
    notes: list[str],
    publisher: Publisher | None,
) -> tuple[int, str]:
    layer = plan.layer
    upload = plan.upload
    publisher = publisher or Publisher(client=lam, attempts=1)
    if upload is None:
        report(f"publishing {layer.name} ({layer.size:,} bytes)", None)
        content: dict[str, Any] = {"ZipFile": layer.zip_path.read_bytes()}
        return _publish_version(lam, publisher, plan, content, notes)
    if upload.create_bucket:
        report(f"creating bucket {upload.bucket}", None)
        create_bucket(s3, upload.bucket, region, account)
    try:
        _upload(s3, plan, upload, account, report)
        report(f"publishing {layer.name} from s3://{upload.bucket}", None)
        return _publish_version(lam, publisher, plan, {"S3Bucket": upload.bucket, "S3Key": upload.key}, notes)
    finally:
        if upload.key.startswith(UPLOAD_PREFIX):  # not --keep-upload
            # Deleted whether publishing worked or not; a failed delete must not turn a published
            # layer into a failure, but the object is named so that it does not stay unnoticed.
            try:
                s3.delete_object(Bucket=upload.bucket, Key=upload.key, ExpectedBucketOwner=account)
            except (ClientError, BotoCoreError) as exc:
                notes.append(upload_left(upload, describe(exc)))


def upload_left(upload: Upload, why: str) -> str:
    """The warning for an upload that could not be deleted: what to delete, and how to make the
    bucket clean up after such failures (only a bucket made with --create-bucket has that rule;
    a bucket someone else made is not changed)."""
    return (
        f"could not delete the uploaded zip s3://{upload.bucket}/{upload.key} ({why}); delete it with "
        f"`aws s3 rm s3://{upload.bucket}/{upload.key}`. Unless the bucket has a lifecycle rule for "
        f"{UPLOAD_PREFIX} (--create-bucket adds one), it stays: add one with `aws s3api "
        f"put-bucket-lifecycle-configuration --bucket {upload.bucket} --lifecycle-configuration "
        f'\'{{"Rules":[{{"ID":"{LIFECYCLE_RULE}","Filter":{{"Prefix":"{UPLOAD_PREFIX}"}},'
        '"Status":"Enabled","Expiration":{"Days":1},'
        '"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1}}]}\'`'
    )


def _publish_version(
    lam: Any, publisher: Publisher, plan: LayerPlan, content: dict[str, Any], notes: list[str]
) -> tuple[int, str]:
    layer = plan.layer
    args = {
        "LayerName": layer.name,
        "Description": layer.description,
        "Content": content,
        "CompatibleRuntimes": [layer.manifest.runtime],
        "CompatibleArchitectures": [layer.manifest.arch],
        "LicenseInfo": license_info(layer.manifest),
    }
    done = once.publish(
        lam,
        publisher.client,
        args,
        code_sha256=layer.code_sha256,
        known=plan.existing.version if plan.existing is not None else 0,
        attempts=publisher.attempts,
    )
    notes.extend(done.notes)
    if done.code_sha256 != layer.code_sha256:
        raise PublishFailed(
            f"Lambda reports CodeSha256 {done.code_sha256} for {done.arn}, the zip has {layer.code_sha256}: "
            "the upload was altered on the way; run again (the mismatching version is not reused)"
        )
    return done.version, done.arn


def _upload(s3: Any, plan: LayerPlan, upload: Upload, account: str, report: Report) -> None:
    total = max(plan.layer.size, 1)
    sent = 0

    def progress(chunk: int) -> None:  # called from the transfer's threads; += on an int is enough here
        nonlocal sent
        sent += chunk
        report(f"uploading {plan.layer.name} to s3://{upload.bucket}", min(sent / total, 1.0))

    report(f"uploading {plan.layer.name} to s3://{upload.bucket}", 0.0)
    # Managed transfer: multipart above 8 MB, parts retried on their own.
    s3.upload_file(
        str(plan.layer.zip_path),
        upload.bucket,
        upload.key,
        ExtraArgs={"ExpectedBucketOwner": account},
        Callback=progress,
        Config=TRANSFER,
    )


def _add_permission(lam: Any, name: str, version: int, grant: Grant) -> None:
    try:
        lam.add_layer_version_permission(LayerName=name, VersionNumber=version, **grant.api_args())
    except ClientError as exc:
        # Our statement id is already there: another run added it between our read and now.
        if error_code(exc) != "ResourceConflictException":
            raise


def create_bucket(s3: Any, name: str, region: str, account: str) -> None:
    """Create the upload bucket: private, encrypted, and cleaning up after failed runs."""
    aws.create_bucket_in(s3, name, region)
    s3.put_public_access_block(
        Bucket=name,
        ExpectedBucketOwner=account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ExpectedBucketOwner=account,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=name,
        ExpectedBucketOwner=account,
        LifecycleConfiguration={
            "Rules": [
                {
                    # An upload is deleted right after publishing; this catches a run that died first.
                    "ID": LIFECYCLE_RULE,
                    "Filter": {"Prefix": UPLOAD_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": 1},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )
