"""The whole prune, through the real CLI, against a moto server on 127.0.0.1.

One account region with aliases (one with weighted routing), an event source mapping on a
qualified ARN, a provisioned concurrency config, shared and marked layers, keep tags and many
versions. The plan must delete exactly the expected set, --apply must remove exactly it (moto
would happily delete protected versions too, so nothing here relies on AWS refusing), and a second
run must plan nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.aws

REGION = "us-east-1"
EXPECTED = {
    ("function", "api", "1"),
    ("function", "api", "6"),
    ("function", "worker", "1"),
    ("function", "worker", "3"),
    ("layer", "old", "1"),  # only worker:1 used it, and worker:1 goes first
    ("layer", "old", "2"),
    ("layer", "shared", "2"),
    ("layer", "pinned", "2"),
}


def build(seed: Any) -> None:
    sci = seed.layer("sci", 6)
    old = seed.layer("old", 4)
    shared = seed.layer("shared", 4)
    seed.lam.add_layer_version_permission(
        LayerName="shared",
        VersionNumber=1,
        StatementId="partner",
        Action="lambda:GetLayerVersion",
        Principal="111111111111",
    )
    seed.layer("pinned", 4, description=lambda i: "numpy [layer-builder:keep]" if i == 1 else f"numpy {i}")
    # api:1,2 run with sci:1; api:3,4 with sci:2; api:5,6 with sci:3; api:7,8 and $LATEST with sci:4.
    seed.function("api", 8, layers=lambda i: [sci[(i + 1) // 2 - 1]])
    seed.alias("api", "live", "5", weights={"3": 0.2})
    seed.mapping("api:2")
    seed.provisioned("api", "4")
    seed.function("worker", 5, layers=lambda i: [old[0]] if i == 1 else [])
    seed.tag("worker", {"layer-builder:keep": "2"})
    seed.function("frozen", 4)
    seed.tag("frozen", {"layer-builder:keep": "all"})
    seed.function("tiny", 2)
    assert shared  # published; version 1 is shared with another account


@pytest.fixture(scope="module")
def scenario(moto_server: Any, tools: Any) -> dict[str, Any]:
    """Build the region once, then: dry run, apply, second run. Each test checks one outcome."""
    with tools.seeded(moto_server, REGION, build) as (seed, cli):
        before = seed.versions()
        dry = cli.json("prune", "--region", REGION, "--keep", "2")
        text = cli("prune", "--region", REGION, "--keep", "2")
        applied = cli.json("prune", "--region", REGION, "--keep", "2", "--apply", "--yes")
        after = seed.versions()
        again = cli.json("prune", "--region", REGION, "--keep", "2")
    return {"before": before, "dry": dry, "text": text, "applied": applied, "after": after, "again": again}


def planned(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    (region,) = report["regions"]
    return {(d["kind"], d["name"], d["version"]) for d in region["plan"]["delete"]}


def reasons(report: dict[str, Any], kind: str, name: str, version: str) -> set[str]:
    (region,) = report["regions"]
    for kept in region["plan"]["keep"]:
        if (kept["kind"], kept["name"], kept["version"]) == (kind, name, version):
            return {reason["rule"] for reason in kept["reasons"]}
    return set()


def test_plan_deletes_exactly_the_expected_versions(scenario):
    assert planned(scenario["dry"]) == EXPECTED
    assert scenario["dry"]["applied"] is False
    assert scenario["dry"]["problems"] == []


def test_dry_run_deletes_nothing_and_apply_removes_exactly_the_plan(scenario):
    assert scenario["before"] - scenario["after"] == EXPECTED
    (region,) = scenario["applied"]["regions"]
    assert {(r["kind"], r["name"], r["version"], r["status"]) for r in region["result"]} == {
        (*item, "deleted") for item in EXPECTED
    }


def test_the_plan_is_identical_with_and_without_apply(scenario):
    assert scenario["applied"]["regions"][0]["plan"] == scenario["dry"]["regions"][0]["plan"]


def test_a_second_run_plans_nothing(scenario):
    assert planned(scenario["again"]) == set()


def test_text_output_lists_every_delete_and_why_the_rest_stay(scenario):
    result = scenario["text"]
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any("worker" in line and "tagged layer-builder:keep=2" in line for line in lines)
    assert "routing weight of alias live (20%)" in result.stdout
    assert "plan: delete 8 versions" in result.stdout


@pytest.mark.parametrize(
    ("kind", "name", "version", "rule"),
    [
        ("function", "api", "$LATEST", "latest"),
        ("function", "api", "5", "alias"),
        ("function", "api", "3", "alias-routing"),
        ("function", "api", "4", "provisioned-concurrency"),
        ("function", "api", "2", "event-source-mapping"),
        ("function", "api", "8", "newest"),
        ("function", "worker", "2", "keep-tag"),
        ("function", "frozen", "1", "keep-tag"),
        ("layer", "sci", "1", "in-use"),  # api:1 goes but api:2 still runs with it
        ("layer", "sci", "6", "newest"),
        ("layer", "pinned", "1", "keep-mark"),
        ("layer", "shared", "1", "shared"),
    ],
)
def test_never_deleted(scenario, kind, name, version, rule):
    assert rule in reasons(scenario["dry"], kind, name, version)
    assert (kind, name, version) in scenario["after"]


def test_usage_comes_from_get_account_settings(scenario):
    usage = scenario["dry"]["regions"][0]["plan"]["usage"]
    assert usage["source"] == "GetAccountSettings"
    assert usage["limit_bytes"] == 80_530_636_800
    json.dumps(usage)
