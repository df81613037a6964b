"""The publish plan: unchanged content, direct or S3 uploads, buckets, permissions. Pure."""

from __future__ import annotations

import pytest

from builder.publish import plan
from builder.publish.grants import PUBLIC, Grant
from builder.publish.plan import Options, plan_layer
from builder.publish.state import BucketState, LayerState, Newest
from builder.runtimes import limits

from .conftest import make_layer

ACCOUNT = Grant(kind="account", value="210987654321")
ORG = Grant(kind="organization", value="o-a1b2c3d4e5")
LIMIT = limits().direct_upload_zipped_bytes
OURS = BucketState(name="b", status="ours", region="us-east-1")


def options(*grants: Grant, create: bool = False, keep: bool = False) -> Options:
    return Options(grants=grants, create_bucket=create, keep_upload=keep, direct_upload_zipped_bytes=LIMIT)


def state(code: str | None, grants: tuple[Grant, ...] = ()) -> LayerState:
    if code is None:
        return LayerState(name="demo-py312-x86_64", newest=None)
    arn = "arn:aws:lambda:us-east-1:123456789012:layer:demo-py312-x86_64:4"
    return LayerState(
        name="demo-py312-x86_64", newest=Newest(version=4, arn=arn, code_sha256=code, grants=grants)
    )


def test_the_request_limit_is_the_one_aws_quotes():
    assert plan.request_limit(LIMIT) == 69_905_067


def test_same_content_is_not_published_again():
    planned = plan_layer(make_layer(code="SAME="), state("SAME="), None, options(), "us-east-1")
    assert not planned.publish and planned.upload is None
    assert planned.steps[0].action == "skip" and "version 4" in planned.steps[0].reason


def test_new_or_changed_content_is_published_with_its_reason():
    new = plan_layer(make_layer(), state(None), None, options(), "us-east-1")
    assert new.publish and "no version of this layer yet" in new.steps[-1].reason
    changed = plan_layer(make_layer(code="NEW="), state("OLD="), None, options(), "us-east-1")
    assert (
        changed.publish
        and "newest version 4 has CodeSha256 OLD=, the zip has NEW=" in changed.steps[0].reason
    )


def test_the_direct_upload_limit_counts_base64_and_the_request_envelope():
    layer = make_layer()
    envelope = plan.request_bytes(layer) - 4 * -(-layer.size // 3)
    fits = (plan.request_limit(LIMIT) - envelope) // 4 * 3
    assert plan.goes_direct(make_layer(size=fits), options())
    assert not plan.goes_direct(make_layer(size=fits + 3), options())
    assert not plan.goes_direct(make_layer(size=LIMIT), options())  # 50 MB exactly is too much


def test_a_large_zip_goes_through_s3_and_is_deleted_after_unless_kept():
    big = make_layer(size=LIMIT)
    planned = plan_layer(big, state(None), OURS, options(), "us-east-1")
    assert [s.action for s in planned.steps] == ["upload", "publish", "delete-upload"]
    assert planned.upload is not None and planned.upload.key.startswith(
        "layer-builder/uploads/demo-py312-x86_64/"
    )
    assert "69,905,067" in planned.steps[0].reason
    kept = plan_layer(big, state(None), OURS, options(keep=True), "us-east-1")
    assert kept.upload is not None and kept.upload.key.startswith("layer-builder/kept/")
    assert kept.steps[-1].action == "keep-upload"


@pytest.mark.parametrize(
    ("bucket", "create", "blocked"),
    [
        (BucketState(name="b", status="missing"), False, "pass --create-bucket"),
        (BucketState(name="b", status="other-owner"), True, "belongs to another account"),
        (BucketState(name="b", status="ours", region="eu-west-1"), True, "is in eu-west-1, not us-east-1"),
    ],
)
def test_a_bucket_that_cannot_be_used_blocks_the_layer(bucket, create, blocked):
    planned = plan_layer(make_layer(size=LIMIT), state(None), bucket, options(create=create), "us-east-1")
    assert planned.blocked is not None and blocked in planned.blocked


def test_a_missing_bucket_is_created_when_asked():
    missing = BucketState(name="b", status="missing")
    planned = plan_layer(make_layer(size=LIMIT), state(None), missing, options(create=True), "us-east-1")
    assert planned.blocked is None and planned.upload is not None and planned.upload.create_bucket
    assert planned.steps[0].action == "create-bucket"


def test_permissions_missing_are_added_present_are_not_and_extra_are_reported():
    planned = plan_layer(
        make_layer(code="SAME="), state("SAME=", (ACCOUNT, PUBLIC)), None, options(ACCOUNT, ORG), "us-east-1"
    )
    assert planned.add == (ORG,) and planned.granted == (ACCOUNT,) and planned.extra == (PUBLIC,)
    actions = [s.action for s in planned.steps]
    assert actions == ["skip", "already-granted", "add-permission", "not-asked"]
    assert "left as it is" in planned.steps[-1].reason


def test_a_new_version_gets_every_asked_permission_and_nothing_else():
    planned = plan_layer(
        make_layer(code="NEW="), state("OLD=", (PUBLIC,)), None, options(ACCOUNT), "us-east-1"
    )
    assert planned.add == (ACCOUNT,) and planned.extra == ()


def test_the_bucket_is_needed_only_for_a_large_zip_that_changed():
    small, big = make_layer(), make_layer(size=LIMIT, code="BIG=", recipe="big")
    states = {small.name: state(None), big.name: LayerState(name=big.name, newest=None)}
    assert plan.needs_bucket([small, big], states, options())
    unchanged = {**states, big.name: state("BIG=")}
    assert not plan.needs_bucket([small, big], unchanged, options())
