"""Publish planning: for each layer in one account region, what to do and why. Pure: no I/O.

Every step carries its reason, so `--dry-run` and the report say exactly why a version is created
or not, why a zip goes through S3 and which permissions are added or were already there.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from builder.publish.grants import Grant
from builder.publish.local import LocalLayer
from builder.publish.naming import license_info
from builder.publish.state import BucketState, LayerState, Newest

UPLOAD_PREFIX = "layer-builder/uploads/"  # the created bucket's lifecycle rule expires these
KEPT_PREFIX = "layer-builder/kept/"  # --keep-upload: outside the expiring prefix

STEPS: dict[str, str] = {
    "skip": "version {detail} already has this content (same CodeSha256)",
    "publish": "{detail}",
    "create-bucket": "bucket {detail} does not exist; --create-bucket",
    "upload": "{detail}",
    "delete-upload": "remove the uploaded zip after publishing (--keep-upload keeps it)",
    "keep-upload": "keep the uploaded zip (--keep-upload)",
    "add-permission": "{detail}",
    "already-granted": "{detail} may already use it",
    "not-asked": "{detail} may use it but was not asked for; left as it is",
}


@dataclass(frozen=True)
class Step:
    action: str
    detail: str = ""

    @property
    def reason(self) -> str:
        return STEPS[self.action].format(detail=self.detail)


@dataclass(frozen=True, kw_only=True)
class Upload:
    bucket: str
    key: str
    create_bucket: bool


@dataclass(frozen=True, kw_only=True)
class LayerPlan:
    layer: LocalLayer
    existing: Newest | None
    publish: bool
    upload: Upload | None
    add: tuple[Grant, ...]  # permissions to add (on the new version, or the existing one)
    granted: tuple[Grant, ...]  # asked for and already there
    extra: tuple[Grant, ...]  # there, not asked for: reported, never removed
    steps: tuple[Step, ...]
    blocked: str | None = None  # why nothing can be done here (a bucket that cannot be used)


@dataclass(frozen=True, kw_only=True)
class Options:
    grants: tuple[Grant, ...]
    create_bucket: bool
    keep_upload: bool
    direct_upload_zipped_bytes: int  # Lambda's 50 MB, from data/limits.toml
    # Part of every upload key, different for every run: two runs uploading the same zip to one
    # bucket at once must not delete or overwrite each other's object.
    upload_token: str = field(default_factory=lambda: secrets.token_hex(6))


def request_limit(direct_upload_zipped_bytes: int) -> int:
    """PublishLayerVersion's limit on the whole request: the zip travels base64-encoded in JSON, and
    AWS refuses requests over 4/3 of the 50 MB zip limit ("Request must be smaller than 69905067
    bytes", https://github.com/keithrozario/Klayers/issues/116)."""
    return math.ceil(direct_upload_zipped_bytes * 4 / 3)


def request_bytes(layer: LocalLayer) -> int:
    """The size of a direct PublishLayerVersion request for this layer (JSON body, zip in base64)."""
    envelope = {
        "Content": {"ZipFile": ""},
        "Description": layer.description,
        "CompatibleRuntimes": [layer.manifest.runtime],
        "CompatibleArchitectures": [layer.manifest.arch],
        "LicenseInfo": license_info(layer.manifest),
    }
    # Small margin for the serializer's spacing and escapes.
    return 4 * math.ceil(layer.size / 3) + len(json.dumps(envelope)) + 64


def goes_direct(layer: LocalLayer, options: Options) -> bool:
    return request_bytes(layer) <= request_limit(options.direct_upload_zipped_bytes)


def needs_publish(layer: LocalLayer, state: LayerState) -> bool:
    return state.newest is None or state.newest.code_sha256 != layer.code_sha256


def needs_bucket(layers: Sequence[LocalLayer], states: Mapping[str, LayerState], options: Options) -> bool:
    """Whether any layer in this region must be published through S3 (the bucket is read only then)."""
    return any(needs_publish(x, states[x.name]) and not goes_direct(x, options) for x in layers)


def plan_layer(
    layer: LocalLayer, state: LayerState, bucket: BucketState | None, options: Options, region: str
) -> LayerPlan:
    newest = state.newest
    steps: list[Step] = []
    if newest is not None and not needs_publish(layer, state):
        present = set(newest.grants)
        add = tuple(g for g in options.grants if g not in present)
        granted = tuple(g for g in options.grants if g in present)
        extra = tuple(g for g in newest.grants if g not in options.grants)
        steps.append(Step("skip", f"{newest.version} ({newest.arn})"))
        steps += [Step("already-granted", g.describe()) for g in granted]
        steps += [Step("add-permission", _grant_reason(g, newest.version)) for g in add]
        steps += [Step("not-asked", g.describe()) for g in extra]
        return LayerPlan(
            layer=layer,
            existing=newest,
            publish=False,
            upload=None,
            add=add,
            granted=granted,
            extra=extra,
            steps=tuple(steps),
        )
    why = (
        "no version of this layer yet"
        if newest is None
        else f"newest version {newest.version} has CodeSha256 {newest.code_sha256 or '(none)'}, "
        f"the zip has {layer.code_sha256}"
    )
    upload: Upload | None = None
    blocked: str | None = None
    if not goes_direct(layer, options):
        upload, blocked = _upload(layer, bucket, options, region)
        if upload is not None:
            if upload.create_bucket:
                steps.append(Step("create-bucket", upload.bucket))
            steps.append(
                Step(
                    "upload",
                    f"the zip is {layer.size:,} bytes: a direct upload would be {request_bytes(layer):,} "
                    f"request bytes, over Lambda's {request_limit(options.direct_upload_zipped_bytes):,}; "
                    f"through s3://{upload.bucket}/{upload.key}",
                )
            )
    steps.append(Step("publish", f"publish a new version: {why}"))
    if upload is not None:
        steps.append(Step("keep-upload" if options.keep_upload else "delete-upload"))
    steps += [Step("add-permission", _grant_reason(g, None)) for g in options.grants]
    return LayerPlan(
        layer=layer,
        existing=newest,
        publish=True,
        upload=upload,
        add=options.grants,
        granted=(),
        extra=(),
        steps=tuple(steps),
        blocked=blocked,
    )


def _grant_reason(grant: Grant, version: int | None) -> str:
    flag = "--public" if grant.kind == "public" else "--share-with"
    where = "the new version" if version is None else f"version {version}"
    return f"let {grant.describe()} use {where} ({flag})"


def _upload(
    layer: LocalLayer, bucket: BucketState | None, options: Options, region: str
) -> tuple[Upload | None, str | None]:
    if bucket is None:
        return None, "the bucket was not read"
    prefix = KEPT_PREFIX if options.keep_upload else UPLOAD_PREFIX
    key = f"{prefix}{layer.name}/{layer.manifest.zip.sha256}-{options.upload_token}.zip"
    if bucket.status == "other-owner":
        return None, (
            f"bucket {bucket.name} belongs to another account (or this one may not read it): "
            "S3 refused it with ExpectedBucketOwner; pass --bucket with a bucket of this account"
        )
    if bucket.status == "missing":
        if not options.create_bucket:
            return None, (
                f"bucket {bucket.name} does not exist; pass --create-bucket to create it, or --bucket "
                "with an existing bucket in this region"
            )
        return Upload(bucket=bucket.name, key=key, create_bucket=True), None
    if bucket.region != region:
        return None, (
            f"bucket {bucket.name} is in {bucket.region}, not {region}: Lambda reads a layer's zip only "
            "from a bucket in the layer's own region; put {region} in --bucket"
        )
    return Upload(bucket=bucket.name, key=key, create_bucket=False), None
