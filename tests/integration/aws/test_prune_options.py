"""Prune and storage options through the real CLI against the moto server: --target-usage,
--older-than, name patterns, several regions and accounts, the storage report, the fallback when
GetAccountSettings is unavailable, Lambda@Edge refusals, and how many calls a run makes."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.aws

REGION = "us-east-1"


def labels(report: dict[str, Any]) -> set[str]:
    return {
        f"{d['name']}:{d['version']}" for r in report["regions"] if r.get("plan") for d in r["plan"]["delete"]
    }


def test_target_usage_deletes_the_oldest_first_until_under_the_target(cli, seed, server):
    for name in ("a", "b"):
        seed.function(name, 6, size=10_000)
        for version in range(1, 7):
            seed.age_function(name, str(version), days=100 - version * 10 - (5 if name == "b" else 0))
    usage = cli.json("storage", "--region", REGION)["regions"][0]["plan"]["usage"]["used_bytes"]
    server.set_limit(seed.account, REGION, usage * 2)  # 50% used
    # Each version is ~10 KB of ~140 KB used; getting under 44% needs about 4 versions gone.
    report = cli.json("prune", "--region", REGION, "--keep", "1", "--target-usage", "44")
    deleted = labels(report)
    # Oldest first: a:1 (90 days), b:1 (85), a:2 (80), b:2 (75), ...
    order = ["a:1", "b:1", "a:2", "b:2", "a:3", "b:3", "a:4", "b:4", "a:5", "b:5"]
    assert deleted == set(order[: len(deleted)])
    plan = report["regions"][0]["plan"]
    assert plan["used_after_bytes"] <= 0.44 * usage * 2 < plan["used_after_bytes"] + 10_500
    kept: dict[tuple[Any, ...], set[Any]] = {
        (k["name"], k["version"]): {r["rule"] for r in k["reasons"]} for k in plan["keep"]
    }
    assert kept[tuple(order[len(deleted)].split(":"))] == {"target-reached"}


def test_older_than_keeps_recent_versions(cli, seed):
    seed.function("api", 5)
    for version in ("1", "2"):
        seed.age_function("api", version, days=40)
    report = cli.json("prune", "--region", REGION, "--keep", "1", "--older-than", "30")
    assert labels(report) == {"api:1", "api:2"}


def test_patterns_limit_the_prune_to_matching_names(cli, seed):
    seed.function("orders-api", 3)
    seed.function("billing", 3)
    seed.layer("sci-py312", 3)
    seed.layer("tools", 3)
    only_functions = cli.json("prune", "--region", REGION, "--keep", "1", "--functions", "orders-*")
    assert labels(only_functions) == {"orders-api:1", "orders-api:2"}
    only_layers = cli.json("prune", "--region", REGION, "--keep", "1", "--layer-names", "sci-*")
    assert labels(only_layers) == {"sci-py312:1", "sci-py312:2"}
    older_spelling = cli.json("prune", "--region", REGION, "--keep", "1", "--layers", "sci-*")
    assert labels(older_spelling) == labels(only_layers)


def test_several_regions_and_an_assumed_role_in_another_account(cli, seed, server):
    seed.function("home", 3)
    west = type(seed)(server.url, "eu-west-1")
    west.function("west", 3)
    role = "arn:aws:iam::111111111111:role/cleanup"
    creds = boto3.client("sts", endpoint_url=server.url, region_name=REGION).assume_role(
        RoleArn=role, RoleSessionName="seed"
    )["Credentials"]
    other = type(seed)(
        server.url,
        REGION,
        credentials={
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        },
    )
    other.function("elsewhere", 3)
    both = cli.json("prune", "--region", REGION, "--region", "eu-west-1", "--keep", "1")
    assert [(r["account"], r["region"]) for r in both["regions"]] == [
        ("123456789012", "us-east-1"),
        ("123456789012", "eu-west-1"),
    ]
    assert labels(both) == {"home:1", "home:2", "west:1", "west:2"}
    assumed = cli.json("prune", "--region", REGION, "--role-arn", role, "--keep", "1", "--apply", "--yes")
    assert [r["account"] for r in assumed["regions"]] == ["111111111111"]
    assert labels(assumed) == {"elsewhere:1", "elsewhere:2"}
    assert ("function", "elsewhere", "1") not in other.versions()
    assert ("function", "home", "1") in seed.versions()


def test_storage_reports_usage_biggest_holders_and_what_a_prune_frees(cli, seed):
    seed.function("big", 4, size=50_000)
    seed.function("small", 2, size=1_000)
    seed.layer("sci", 3, size=20_000)
    report = cli.json("storage", "--region", REGION, "--keep", "1")
    region = report["regions"][0]
    assert [h["name"] for h in region["top_functions"]] == ["big", "small"]
    assert region["top_functions"][0]["versions"] == 5  # four published and $LATEST
    assert region["top_layers"][0]["bytes"] > 3 * 20_000
    freed = region["plan"]["freed_bytes"]
    assert freed == sum(d["bytes"] for d in region["plan"]["delete"]) > 3 * 50_000
    text = cli("storage", "--region", REGION, "--keep", "1")
    assert text.exit_code == 0
    assert "GetAccountSettings" in text.stdout and "big" in text.stdout


def test_storage_sizes_are_decimal_megabytes_as_in_every_other_table(cli, seed):
    seed.function("big", 2, size=1_500_000)
    region = cli.json("storage", "--region", REGION)["regions"][0]
    big = region["top_functions"][0]["bytes"]
    text = " ".join(cli("storage", "--region", REGION).stdout.split())
    assert f"{big / 1e6:.1f} MB" in text  # 1 MB = 1,000,000 bytes, as build and inspect count it
    assert "of 80.5 GB" in text  # Lambda's 80,530,636,800-byte quota (its documentation's "75 GB")


def test_usage_is_computed_and_labelled_when_get_account_settings_is_unavailable(cli, seed, server):
    seed.function("api", 2, size=5_000)
    seed.layer("sci", 2, size=3_000)
    measured = cli.json("storage", "--region", REGION)["regions"][0]["plan"]["usage"]
    server.ext.settings_enabled = False  # moto's own answer: 404, no such operation
    computed = cli.json("storage", "--region", REGION)["regions"][0]["plan"]["usage"]
    assert computed["source"] == "computed" and "GetAccountSettings unavailable" in computed["note"]
    assert computed["used_bytes"] == measured["used_bytes"]
    assert computed["limit_bytes"] == 80_530_636_800
    text = cli("storage", "--region", REGION)
    assert "computed from listings" in text.stdout


def test_lambda_edge_replicas_are_reported_not_deletable_yet(cli, seed, server):
    seed.function("edge", 3)
    server.refuse_edge_delete(f"arn:aws:lambda:{REGION}:{seed.account}:function:edge:1")
    report = cli.json("prune", "--region", REGION, "--keep", "1", "--apply", "--yes")
    statuses = {r["version"]: r["status"] for r in report["regions"][0]["result"]}
    assert statuses == {"1": "not-deletable", "2": "deleted"}
    assert report["problems"] == []


def test_each_piece_of_data_is_read_once_and_only_where_needed(cli, seed, monkeypatch):
    from builder import aws

    for i in range(12):
        seed.function(f"fn{i}", 4 if i < 3 else 2)  # only fn0..fn2 have anything to delete
    seed.layer("sci", 4)
    calls: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def counting_session(profile: str | None = None) -> boto3.Session:
        session = boto3.Session(profile_name=profile)

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            query = tuple(sorted((k, str(v)) for k, v in params.get("query_string", {}).items()))
            calls.append((model.name, (("url", params["url_path"]), *query)))

        session.events.register("before-call.lambda", record)
        return session

    monkeypatch.setattr(aws, "base_session", counting_session)
    cli.json("prune", "--region", REGION, "--keep", "3")
    counts = Counter(name for name, _ in calls)
    assert len(set(calls)) == len(calls), "a call was repeated with the same parameters"
    versions = 3 * 5 + 9 * 3
    assert counts["ListFunctions"] == math.ceil(versions / 50)
    assert counts["ListAliases"] == counts["ListTags"] == counts["ListProvisionedConcurrencyConfigs"] == 3
    assert counts["ListLayerVersions"] == 1
    assert counts["GetLayerVersion"] == counts["GetLayerVersionPolicy"] == 1  # sci:1 only
    assert counts["DeleteFunction"] == 0


def test_apply_reads_the_planned_functions_again_but_not_the_layer_sizes(cli, seed, monkeypatch):
    from builder import aws

    for i in range(6):
        seed.function(f"fn{i}", 4 if i < 2 else 2)  # only fn0 and fn1 have anything to delete
    seed.layer("sci", 4)
    calls: Counter[str] = Counter()

    def counting_session(profile: str | None = None) -> boto3.Session:
        session = boto3.Session(profile_name=profile)
        session.events.register("before-call.lambda", lambda model, **_: calls.update([model.name]))
        return session

    monkeypatch.setattr(aws, "base_session", counting_session)
    report = cli.json("prune", "--region", REGION, "--keep", "3", "--apply", "--yes")
    assert {r["status"] for r in report["regions"][0]["result"]} == {"deleted"}
    # Read for the plan, then once more just before deleting: references of the two functions
    # with something to delete, and the permission of the one layer version to delete.
    assert calls["ListAliases"] == calls["ListTags"] == calls["ListProvisionedConcurrencyConfigs"] == 2 * 2
    assert calls["GetLayerVersionPolicy"] == 2 and calls["ListFunctions"] == 2
    assert calls["GetLayerVersion"] == 1  # a layer version's size never changes
    assert calls["DeleteFunction"] == 2 and calls["DeleteLayerVersion"] == 1
