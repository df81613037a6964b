"""Applying a plan through a stubbed boto3 client: exactly the planned calls, in order, and how
each answer AWS can give is reported."""

from __future__ import annotations

import datetime as dt
import threading

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from builder.cleanup.apply import apply_plan
from builder.cleanup.brake import Brake
from builder.cleanup.plan import Item, RegionPlan
from builder.cleanup.quota import Usage

ARN = "arn:aws:lambda:us-east-1:123456789012"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def item(kind, name, version, size=10):
    arn = f"{ARN}:{kind}:{name}:{version}"
    return Item(kind=kind, name=name, version=str(version), arn=arn, size=size, created=NOW)


def region_plan(delete, layer_users=None):
    usage = Usage(limit=100, used=50, measured=True, note="")
    return RegionPlan(
        account="123456789012",
        region="us-east-1",
        usage=usage,
        delete=tuple(delete),
        keep=(),
        problems=(),
        layer_users=layer_users or {},
    )


@pytest.fixture
def lam():
    client = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    with Stubber(client) as stubber:
        client.stubber = stubber
        yield client
        stubber.assert_no_pending_responses()


def test_deletes_function_versions_then_layer_versions_with_their_qualifiers(lam):
    lam.stubber.add_response("delete_function", {}, {"FunctionName": "api", "Qualifier": "3"})
    lam.stubber.add_response("delete_layer_version", {}, {"LayerName": "sci", "VersionNumber": 2})
    outcomes = apply_plan(lam, region_plan([item("function", "api", 3), item("layer", "sci", 2)]), workers=1)
    assert [(o.item.label, o.status) for o in outcomes] == [("api:3", "deleted"), ("sci:2", "deleted")]


def test_a_version_already_gone_counts_as_done(lam):
    lam.stubber.add_client_error(
        "delete_function",
        "ResourceNotFoundException",
        f"Function not found: {ARN}:function:api:3",
        http_status_code=404,
    )
    outcomes = apply_plan(lam, region_plan([item("function", "api", 3)]), workers=1)
    assert outcomes[0].status == "already-gone"


def test_lambda_edge_replicas_are_not_deletable_yet_rather_than_failed(lam):
    # Lambda's recorded answer for a version that CloudFront still replicates.
    lam.stubber.add_client_error(
        "delete_function",
        "InvalidParameterValueException",
        f"Lambda was unable to delete {ARN}:function:edge:7 because it is a replicated function. "
        "Please see our documentation for Deleting Lambda@Edge Functions and Replicas.",
        http_status_code=400,
    )
    outcomes = apply_plan(lam, region_plan([item("function", "edge", 7)]), workers=1)
    assert outcomes[0].status == "not-deletable"
    assert "run again later" in outcomes[0].detail


def test_a_layer_version_waits_for_every_function_version_that_used_it(lam):
    used_by = item("function", "api", 1)
    layer = item("layer", "sci", 1)
    lam.stubber.add_client_error("delete_function", "ResourceConflictException", "update in progress", 409)
    outcomes = apply_plan(lam, region_plan([used_by, layer], {layer.arn: (used_by.arn,)}), workers=1)
    assert [o.status for o in outcomes] == ["failed", "skipped"]
    assert "ResourceConflictException" in outcomes[0].detail
    assert "api:1" in outcomes[1].detail


def test_never_deletes_a_whole_function(lam):
    # No response is stubbed: any call would fail the Stubber.
    outcomes = apply_plan(lam, region_plan([item("function", "api", "$LATEST")]), workers=1)
    assert outcomes[0].status == "skipped"


def test_with_the_brake_on_nothing_is_sent_and_every_version_is_not_started():
    # Nothing listens on port 9: a call that went out would come back failed, not "not started".
    client = boto3.client(
        "lambda",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    stop = threading.Event()
    Brake(stop=stop).attach(client)
    stop.set()
    used_by, layer = item("function", "api", 1), item("layer", "sci", 1)
    outcomes = apply_plan(client, region_plan([used_by, layer], {layer.arn: (used_by.arn,)}), workers=1)
    assert [(o.status, o.detail) for o in outcomes] == [
        ("not-started", "interrupted (Ctrl-C)"),
        ("not-started", "its users' deletes were not started"),
    ]
