"""Reading a region through a real boto3 client with botocore's Stubber: recorded AWS answer
shapes for the calls moto does not implement (GetAccountSettings, provisioned concurrency
configs), paging through NextMarker, and failures that must be recorded rather than raised."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber

from builder.cleanup import inventory
from builder.cleanup.model import LayerVersion
from builder.errors import AwsError

ARN = "arn:aws:lambda:us-west-2:123456789012"


@pytest.fixture
def lam():
    client = boto3.client(
        "lambda", region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        client.stubber = stubber
        yield client
        stubber.assert_no_pending_responses()


def config(name, version, *, size=294, layers=(), modified="2024-02-02T21:06:21.116+0000"):
    """One entry of ListFunctions(FunctionVersion=ALL), as AWS writes it."""
    qualified = f"{ARN}:function:{name}:{version}"
    return {
        "FunctionName": name,
        "FunctionArn": qualified,
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::123456789012:role/lambda-role",
        "Handler": "app.handler",
        "CodeSize": size,
        "Description": "",
        "Timeout": 3,
        "MemorySize": 128,
        "LastModified": modified,
        "CodeSha256": "sha",
        "Version": version,
        "Layers": [{"Arn": arn, "CodeSize": layer_size} for arn, layer_size in layers],
        "PackageType": "Zip",
        "Architectures": ["arm64"],
    }


def test_listing_pages_through_every_function_version_and_reads_account_settings(lam):
    stub = lam.stubber
    # Recorded shape: `aws lambda get-account-settings` in the AWS CLI reference.
    stub.add_response(
        "get_account_settings",
        {
            "AccountLimit": {
                "CodeSizeUnzipped": 262144000,
                "UnreservedConcurrentExecutions": 1000,
                "ConcurrentExecutions": 1000,
                "CodeSizeZipped": 52428800,
                "TotalCodeSize": 161061273600,
            },
            "AccountUsage": {"FunctionCount": 4, "TotalCodeSize": 9426},
        },
    )
    sci = f"{ARN}:layer:sci:3"
    stub.add_response(
        "list_functions",
        {
            "Functions": [config("api", "$LATEST"), config("api", "1", layers=[(sci, 5000)])],
            "NextMarker": "page2",
        },
        {"FunctionVersion": "ALL"},
    )
    stub.add_response(
        "list_functions",
        {"Functions": [config("api", "2", modified="2024-03-01T10:00:00.5+0000")]},
        {"FunctionVersion": "ALL", "Marker": "page2"},
    )
    stub.add_response(
        "list_layers",
        {
            "Layers": [
                {"LayerName": "sci", "LayerArn": f"{ARN}:layer:sci", "LatestMatchingVersion": {"Version": 3}}
            ]
        },
    )
    stub.add_response(
        "list_layer_versions",
        {
            "LayerVersions": [
                {
                    "LayerVersionArn": sci,
                    "Version": 3,
                    "Description": "v3",
                    "CreatedDate": "2024-01-05T10:00:00.000+0000",
                }
            ]
        },
        {"LayerName": "sci"},
    )
    stub.add_response(
        "list_event_source_mappings",
        {
            "EventSourceMappings": [
                {"UUID": "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE", "FunctionArn": f"{ARN}:function:api:1"}
            ]
        },
    )
    listing = inventory.read_listing(lam, "123456789012", "us-west-2", workers=1)
    assert listing.settings is not None and listing.settings.limit == 161061273600
    assert sorted(v.version for v in listing.functions["api"]) == ["$LATEST", "1", "2"]
    second = next(v for v in listing.functions["api"] if v.version == "2")
    assert second.modified == dt.datetime(2024, 3, 1, 10, 0, 0, 500000, tzinfo=dt.timezone.utc)
    assert listing.layer_sizes_seen() == {sci: 5000}
    assert listing.layers["sci"][0].description == "v3"
    assert listing.mappings == (f"{ARN}:function:api:1",)


def test_missing_account_settings_and_mappings_are_recorded_not_raised(lam):
    stub = lam.stubber
    stub.add_client_error(
        "get_account_settings", "AccessDeniedException", "not authorized", http_status_code=403
    )
    stub.add_response("list_functions", {"Functions": [config("api", "1")]}, {"FunctionVersion": "ALL"})
    stub.add_response("list_layers", {"Layers": []})
    stub.add_client_error("list_event_source_mappings", "ServiceException", "boom", http_status_code=500)
    listing = inventory.read_listing(lam, "123456789012", "us-west-2", workers=1)
    assert listing.settings is None
    assert listing.settings_error == "GetAccountSettings: AccessDeniedException (not authorized)"
    assert listing.mappings is None and "ServiceException" in (listing.mappings_error or "")


def test_a_region_whose_functions_cannot_be_listed_is_an_error(lam):
    lam.stubber.add_response("get_account_settings", {})
    lam.stubber.add_client_error("list_functions", "AccessDeniedException", "no", http_status_code=403)
    with pytest.raises(AwsError, match="could not list the functions"):
        inventory.read_listing(lam, "123456789012", "us-west-2", workers=1)


def _listing_with(*names):
    from builder.cleanup.model import FunctionVersion, Listing

    now = dt.datetime.now(dt.timezone.utc)
    functions = {
        name: (
            FunctionVersion(
                function=name, version="1", arn=f"{ARN}:function:{name}:1", code_size=1, modified=now
            ),
        )
        for name in names
    }
    return Listing(account="123456789012", region="us-west-2", functions=functions, layers={})


def test_references_with_recorded_provisioned_concurrency_answer(lam):
    stub = lam.stubber
    stub.add_response(
        "list_aliases",
        {
            "Aliases": [
                {
                    "AliasArn": f"{ARN}:function:api:BLUE",
                    "Name": "BLUE",
                    "FunctionVersion": "3",
                    "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.05}},
                }
            ]
        },
        {"FunctionName": "api"},
    )
    # Recorded shape: `aws lambda list-provisioned-concurrency-configs` in the AWS CLI reference.
    stub.add_response(
        "list_provisioned_concurrency_configs",
        {
            "ProvisionedConcurrencyConfigs": [
                {
                    "FunctionArn": f"{ARN}:function:api:GREEN",
                    "RequestedProvisionedConcurrentExecutions": 100,
                    "AvailableProvisionedConcurrentExecutions": 100,
                    "AllocatedProvisionedConcurrentExecutions": 100,
                    "Status": "READY",
                    "LastModified": "2019-12-31T20:29:00+0000",
                },
                {
                    "FunctionArn": f"{ARN}:function:api:7",
                    "RequestedProvisionedConcurrentExecutions": 10,
                    "AvailableProvisionedConcurrentExecutions": 10,
                    "AllocatedProvisionedConcurrentExecutions": 10,
                    "Status": "READY",
                    "LastModified": "2019-12-31T20:28:00+0000",
                },
            ]
        },
        {"FunctionName": "api"},
    )
    stub.add_response("list_tags", {"Tags": {"layer-builder:keep": "4"}}, {"Resource": f"{ARN}:function:api"})
    refs, errors = inventory.read_refs(lam, _listing_with("api"), ["api"], workers=1)
    assert errors == {}
    assert refs["api"].provisioned == ("GREEN", "7")
    assert refs["api"].aliases[0].version == "3" and refs["api"].aliases[0].weights == {"2": 0.05}
    assert refs["api"].tags == {"layer-builder:keep": "4"}


def test_a_throttle_that_outlives_its_retries_marks_only_that_function_unreadable(lam):
    stub = lam.stubber
    stub.add_client_error("list_aliases", "TooManyRequestsException", "Rate exceeded", http_status_code=429)
    stub.add_response("list_aliases", {"Aliases": []}, {"FunctionName": "ok"})
    stub.add_response("list_provisioned_concurrency_configs", {"ProvisionedConcurrencyConfigs": []})
    stub.add_response("list_tags", {"Tags": {}})
    refs, errors = inventory.read_refs(lam, _listing_with("busy", "ok"), ["busy", "ok"], workers=1)
    assert list(refs) == ["ok"]
    assert errors["busy"].startswith("ListAliases: TooManyRequestsException (Rate exceeded), still throttled")


def test_layer_details_read_size_and_who_the_layer_is_shared_with(lam):
    stub = lam.stubber
    now = dt.datetime.now(dt.timezone.utc)
    private = LayerVersion(layer="sci", version=1, arn=f"{ARN}:layer:sci:1", created=now)
    public = LayerVersion(layer="sci", version=2, arn=f"{ARN}:layer:sci:2", created=now)
    stub.add_response(
        "get_layer_version",
        {"Content": {"Location": "https://x", "CodeSha256": "s", "CodeSize": 123456}, "Version": 1},
        {"LayerName": "sci", "VersionNumber": 1},
    )
    stub.add_client_error(
        "get_layer_version_policy", "ResourceNotFoundException", "no policy", http_status_code=404
    )
    policy = {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [
            {
                "Sid": "everyone",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "lambda:GetLayerVersion",
                "Resource": public.arn,
            }
        ],
    }
    stub.add_response("get_layer_version_policy", {"Policy": json.dumps(policy), "RevisionId": "r"})
    details = inventory.read_layer_details(lam, [private], [private, public], workers=1)
    assert details.sizes == {private.arn: 123456}
    assert details.shared == {public.arn: "*"}
    assert details.errors == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00.123+0000", dt.datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=dt.timezone.utc)),
        (
            "2026-11-26T11:04:52.541924000Z",
            dt.datetime(2026, 11, 26, 11, 4, 52, 541924, tzinfo=dt.timezone.utc),
        ),
        ("2024-05-01T12:00:00+02:00", dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.timezone.utc)),
        ("yesterday", None),
    ],
)
def test_lambda_dates_are_parsed(text, expected):
    assert inventory.parse_time(text) == expected
