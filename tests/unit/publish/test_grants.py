"""Who may use a layer version: parsing --share-with/--public and reading policies back."""

from __future__ import annotations

import json

import pytest

from builder.errors import ConfigError
from builder.publish.grants import PUBLIC, Grant, from_policy, requested


def test_accounts_organizations_and_public_are_told_apart_and_deduplicated():
    grants = requested(["123456789012", "o-a1b2c3d4e5", "123456789012"], public=False)
    assert grants == (
        Grant(kind="account", value="123456789012"),
        Grant(kind="organization", value="o-a1b2c3d4e5"),
    )
    assert PUBLIC not in grants  # never implied
    assert PUBLIC in requested([], public=True)


@pytest.mark.parametrize(
    "value", ["12345678901", "1234567890123", "o-short", "O-A1B2C3D4E5", "arn:aws:iam::1:root", "*"]
)
def test_anything_else_is_refused_with_a_hint(value):
    with pytest.raises(ConfigError, match="neither an account id nor an organization id") as caught:
        requested([value], public=False)
    assert "--public" in (caught.value.hint or "")


def test_api_arguments_follow_add_layer_version_permission():
    assert Grant(kind="account", value="123456789012").api_args() == {
        "StatementId": "layer-builder-account-123456789012",
        "Action": "lambda:GetLayerVersion",
        "Principal": "123456789012",
    }
    org = Grant(kind="organization", value="o-a1b2c3d4e5").api_args()
    assert org["Principal"] == "*" and org["OrganizationId"] == "o-a1b2c3d4e5"
    assert PUBLIC.api_args() == {
        "StatementId": "layer-builder-public",
        "Action": "lambda:GetLayerVersion",
        "Principal": "*",
    }


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_policies_in_aws_shape_are_read_back_as_grants():
    read = from_policy(
        policy(
            {"Sid": "a", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"}},
            {
                "Sid": "o",
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            },
            {"Sid": "p", "Effect": "Allow", "Principal": "*"},
            {
                "Sid": "weird",
                "Effect": "Allow",
                "Principal": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4"}},
            },
        )
    )
    assert set(read) == {
        Grant(kind="account", value="210987654321"),
        Grant(kind="organization", value="o-a1b2c3d4e5"),
        PUBLIC,
        Grant(kind="other", value="weird"),  # a "*" with another condition is not taken for public
    }
    assert from_policy(None) == () and from_policy("") == ()


def test_a_bare_account_principal_counts_as_that_account():
    assert from_policy(policy({"Sid": "x", "Principal": "123456789012"})) == (
        Grant(kind="account", value="123456789012"),
    )
