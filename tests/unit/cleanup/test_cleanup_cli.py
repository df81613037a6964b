"""The cleanup commands that need no AWS endpoint: the IAM policy, the job zip, input checks."""

from __future__ import annotations

import json
import zipfile

import botocore.session
import pytest
from typer.testing import CliRunner

from builder.cleanup import iampolicy
from builder.cli import app

runner = CliRunner()


def test_iam_policy_prune_prints_the_policy_document():
    result = runner.invoke(
        app,
        ["iam-policy", "prune", "--account", "123456789012", "--assume", "arn:aws:iam::111111111111:role/x"],
    )
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == iampolicy.prune_policy(
        account="123456789012", assume=("arn:aws:iam::111111111111:role/x",)
    )


def test_job_package_writes_the_zip(tmp_path):
    target = tmp_path / "out" / "job.zip"
    result = runner.invoke(app, ["job", "package", "--output", str(target)])
    assert result.exit_code == 0, result.stderr
    assert "builder/cleanup/job.py" in zipfile.ZipFile(target).namelist()
    assert "builder.cleanup.job.handler" in result.stdout


def test_bad_input_exits_2_with_a_hint():
    keep = runner.invoke(app, ["prune", "--region", "us-east-1", "--keep", "0"])
    assert keep.exit_code == 2 and "--older-than" in keep.stderr
    role = runner.invoke(app, ["prune", "--region", "us-east-1", "--role-arn", "arn:aws:iam::1:user/me"])
    assert role.exit_code == 2 and "not an IAM role ARN" in role.stderr
    target = runner.invoke(app, ["prune", "--region", "us-east-1", "--target-usage", "150"])
    assert target.exit_code == 2 and "--target-usage" in target.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--account", "12"], "--account must be a 12-digit AWS account id, got '12'"),
        (["--account", "1234567890123"], "--account must be a 12-digit"),
        (["--account", "12345678901a"], "--account must be a 12-digit"),
        (["--partition", "bogus"], "unknown partition 'bogus'"),
        (["--partition", "aws-gov"], "unknown partition 'aws-gov' (did you mean 'aws-us-gov'?)"),
        (
            ["--partition", "aws-cn", "--assume", "arn:aws:iam::111111111111:role/x"],
            "is not in the aws-cn partition",
        ),
    ],
)
def test_iam_policy_that_could_never_match_is_refused(args, message):
    result = runner.invoke(app, ["iam-policy", "prune", *args])
    assert result.exit_code == 2
    assert message in result.stderr and result.stdout == ""


def test_iam_policy_accepts_every_partition_and_any_account():
    china = runner.invoke(app, ["iam-policy", "prune", "--partition", "aws-cn", "--account", "012345678901"])
    assert china.exit_code == 0, china.stderr
    resources = [s["Resource"] for s in json.loads(china.stdout)["Statement"]]
    assert "arn:aws-cn:lambda:*:012345678901:function:*:*" in resources
    assert runner.invoke(app, ["iam-policy", "prune"]).exit_code == 0


def test_the_partitions_accepted_are_ones_botocore_knows():
    assert set(iampolicy.PARTITIONS) <= set(botocore.session.get_session().get_available_partitions())
