"""The organization-wide deployment: the StackSet template passes cfn-lint, deploys to every account
of an OU on the moto server (the job's stack is found in each), and `storage --from-reports` reads the
jobs' reports from the central bucket."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.aws

REGION = "us-east-1"


def test_the_template_passes_cfn_lint(cli, tmp_path):
    out = tmp_path / "stackset.json"
    result = cli(
        "job",
        "stackset",
        "--ou",
        "r-ab12",
        "--region",
        REGION,
        "--region",
        "eu-west-1",
        "--report-bucket",
        "org-reports",
        "--unused-days",
        "90",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "create-stack-set" in result.stdout and "--permission-model SERVICE_MANAGED" in result.stdout
    assert "aws:PrincipalOrgID" in result.stdout and "BucketOwnerEnforced" in result.stdout
    lint = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_report_bucket_in_another_partition_is_refused(cli, tmp_path):
    result = cli(
        "job",
        "stackset",
        "--ou",
        "r-ab12",
        "--region",
        REGION,
        "--report-bucket",
        "arn:aws-cn:s3:::org-reports",
        "-o",
        str(tmp_path / "t.json"),
    )
    assert result.exit_code == 2
    assert "aws-cn partition" in result.output


def test_deploy_creates_the_job_stack_in_every_account_of_the_ou(server, cli, tmp_path):
    org = boto3.client("organizations", endpoint_url=server.url, region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="teams")["OrganizationalUnit"]["Id"]
    members = []
    for name in ("team-a", "team-b"):
        account = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"][
            "AccountId"
        ]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
        members.append(account)
    result = cli(
        "job",
        "stackset",
        "--ou",
        ou,
        "--region",
        REGION,
        "--report-bucket",
        "org-reports",
        "-o",
        str(tmp_path / "t.json"),
        "--deploy",
    )
    assert result.exit_code == 0, result.output
    cfn = boto3.client("cloudformation", endpoint_url=server.url, region_name=REGION)
    instances = cfn.list_stack_instances(StackSetName="layer-builder-cleanup")["Summaries"]
    assert {i["Account"] for i in instances} == set(members)
    for instance in instances:
        assert instance["StackId"]
    s3 = boto3.client("s3", endpoint_url=server.url, region_name=REGION)
    policy = json.loads(s3.get_bucket_policy(Bucket=f"layer-builder-cleanup-code-{REGION}")["Policy"])
    assert policy["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"].startswith("o-")


def test_storage_from_reports_prints_one_table_for_the_organization(server, cli):
    s3 = boto3.client("s3", endpoint_url=server.url, region_name=REGION)
    s3.create_bucket(Bucket="org-reports")
    for account, region, date, used in (
        ("111111111111", "us-east-1", "2026-11-01", 10 * 2**30),
        ("111111111111", "us-east-1", "2026-11-02", 20 * 2**30),  # the newest wins
        ("222222222222", "eu-west-1", "2026-11-02", 5 * 2**30),
    ):
        report: dict[str, Any] = {
            "account": account,
            "region": region,
            "plan": {
                "usage": {"used_bytes": used, "limit_bytes": 75 * 2**30},
                "freed_bytes": 2**30,
                "unused_bytes": 2**20,
                "unused_functions": [{"name": "x"}],
            },
        }
        s3.put_object(
            Bucket="org-reports", Key=f"{account}/{region}/{date}.json", Body=json.dumps(report).encode()
        )
    result = cli("storage", "--from-reports", "s3://org-reports", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["account"], r["date"], r["used"]) for r in rows] == [
        ("111111111111", "2026-11-02", 20 * 2**30),
        ("222222222222", "2026-11-02", 5 * 2**30),
    ]
    text = cli("storage", "--from-reports", "s3://org-reports")
    assert text.exit_code == 0 and "2 accounts, 2 account regions" in text.stdout
