"""storage and prune over every account of an AWS Organization, on the moto server.

The management account (moto's default) creates an organization of three member accounts, one
of them in an OU with a child OU; the tests' server refuses sts:AssumeRole into one account (moto
lets anyone assume any role). That account is reported and skipped, never fatal, and counted in the
exit code; every other account is planned and pruned with its role assumed, the management account
with its own credentials.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.aws

REGION = "us-east-1"


def member_seed(tools: Any, url: str, account: str) -> Any:
    sts = boto3.client("sts", endpoint_url=url, region_name=REGION)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return tools.Seed(
        url,
        REGION,
        credentials={
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        },
    )


@pytest.fixture
def organization(server: Any, tools: Any) -> dict[str, Any]:
    org = boto3.client("organizations", endpoint_url=server.url, region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    ids = {}
    for name in ("team-a", "team-b", "locked"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        ids[name] = status["AccountId"]
    ou = org.create_organizational_unit(ParentId=root, Name="teams")["OrganizationalUnit"]["Id"]
    child = org.create_organizational_unit(ParentId=ou, Name="inner")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=ids["team-a"], SourceParentId=root, DestinationParentId=ou)
    org.move_account(AccountId=ids["team-b"], SourceParentId=root, DestinationParentId=child)
    seeds = {name: member_seed(tools, server.url, ids[name]) for name in ("team-a", "team-b")}
    for seed in seeds.values():
        seed.function("api", 5)
    management = tools.Seed(server.url, REGION)
    management.function("ops", 5)
    server.refuse_assume_role(ids["locked"])
    return {"ids": ids, "ou": ou, "root": root, "seeds": seeds, "management": management}


def test_prune_over_the_organization_skips_the_account_whose_role_cannot_be_assumed(organization, cli):
    ids = organization["ids"]
    result = cli("prune", "--organization", "--region", REGION, "--keep", "2", "--apply", "--yes", "--json")
    assert result.exit_code == 9, result.output
    report = result.stdout
    import json

    data = json.loads(report)
    planned = {r["account"]: r for r in data["regions"]}
    management = organization["management"].account
    assert set(planned) >= {ids["team-a"], ids["team-b"], management}
    for account in (ids["team-a"], ids["team-b"], management):
        deleted = [r for r in planned[account]["result"] if r["status"] == "deleted"]
        assert len(deleted) == 3, planned[account]
    locked = [r for r in data["regions"] if r["account"].startswith(ids["locked"])]
    assert locked and all("AccessDenied" in (r["error"] or "") for r in locked)
    assert any(ids["locked"] in line for line in data["problems"])
    # One line per account, the refused one named as skipped.
    assert f"{ids['team-a']} (team-a): read (1 region)" in result.stderr
    assert f"{ids['locked']} (locked): skipped" in result.stderr
    for seed in organization["seeds"].values():
        assert {v for k, n, v in seed.versions() if n == "api"} == {"$LATEST", "4", "5"}


def test_ou_limits_the_accounts_to_those_under_it_recursively(organization, cli):
    data = cli.json("storage", "--organization", "--ou", organization["ou"], "--region", REGION)
    ids = organization["ids"]
    assert {r["account"] for r in data["regions"]} == {ids["team-a"], ids["team-b"]}


def test_regions_default_to_those_enabled_in_each_account(organization, cli):
    result = cli("storage", "--organization", "--ou", organization["ou"], "--json")
    import json

    data = json.loads(result.stdout)
    regions = {r["region"] for r in data["regions"] if r["account"] == organization["ids"]["team-a"]}
    assert {"us-east-1", "eu-west-1"} <= regions and len(regions) > 10


@pytest.mark.parametrize("ou", ["ou-1", "OU-abcd-12345678", "r-"])
def test_a_malformed_ou_id_is_refused(cli, ou):
    result = cli("prune", "--organization", "--ou", ou, "--region", REGION)
    assert result.exit_code == 2
    assert "not an organizational unit or root id" in result.output


def test_an_account_outside_any_organization_is_told_so(cli, server):
    result = cli("storage", "--organization", "--region", REGION)
    assert result.exit_code == 9
    assert "is not in an AWS Organization" in result.output


def test_each_member_is_opened_with_one_assume_role_through_one_sts_client(organization, cli, server):
    server.ext.calls.clear()
    result = cli("storage", "--organization", "--region", REGION, "--json")
    assert result.exit_code == 9, result.output  # the locked account
    ids = organization["ids"]
    management = organization["management"].account
    sts = {account: n for (account, service), n in server.ext.calls.items() if service == "sts"}
    # The caller proves its own credentials once; each member's role is proved by assuming it
    # (the locked one's AssumeRole is refused), and no member is asked who it is.
    assert sts == {management: 1 + len(ids)}
    lam = {account for (account, service), n in server.ext.calls.items() if service == "lambda"}
    assert lam == {management, ids["team-a"], ids["team-b"]}
