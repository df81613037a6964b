"""builder.aws: regions, role ARNs and the client configuration every AWS call shares."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from builder import aws
from builder.errors import ConfigError


def test_unknown_region_is_refused_with_a_suggestion():
    with pytest.raises(ConfigError, match=r"unknown region 'us-east-l' \(did you mean 'us-east-\d'\?\)"):
        aws.validate_regions(["us-east-l"])


def test_regions_keep_their_order_and_lose_duplicates():
    assert aws.validate_regions(["eu-west-1", "us-east-1", "eu-west-1", "cn-north-1"]) == [
        "eu-west-1",
        "us-east-1",
        "cn-north-1",
    ]
    with pytest.raises(ConfigError, match="no region"):
        aws.validate_regions([])


@pytest.mark.parametrize(
    "arn", ["arn:aws:iam::123456789012:user/me", "role/cleanup", "arn:aws:iam::12:role/x"]
)
def test_role_arn_must_be_an_iam_role(arn):
    with pytest.raises(ConfigError, match="not an IAM role ARN"):
        aws.validate_role_arn(arn)


def test_clients_use_adaptive_retries_with_bounded_attempts():
    options = aws.AwsOptions(max_attempts=4)
    account = aws.Account(
        session=boto3.Session(aws_access_key_id="a", aws_secret_access_key="b"), role_arn=None, account_id="1"
    )
    client = aws.client(account, "lambda", "eu-west-1", options)
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 4}
    assert client.meta.region_name == "eu-west-1"
    with pytest.raises(ConfigError):
        aws.AwsOptions(max_attempts=0)


def test_describe_names_the_operation_and_says_a_throttle_outlived_its_retries():
    error = ClientError(
        {
            "Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"RetryAttempts": 5},
        },
        "ListAliases",
    )
    assert (
        aws.describe(error)
        == "ListAliases: TooManyRequestsException (Rate exceeded), still throttled after 6 attempts"
    )
    assert aws.is_throttle(error)
