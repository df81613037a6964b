"""Whole unused functions, through the real CLI, against the moto server with CloudWatch metrics.

Functions with and without invocations in the window (put into moto's CloudWatch with
PutMetricData, the way Lambda publishes them), one invoked only through an alias, one younger than
the window, and one for each guard: a CloudFormation stack, an EventBridge permission, an event
source mapping, a function URL, provisioned concurrency, the keep tag. Only the unused and
unguarded ones are deleted, a second run changes nothing, and an invocation recorded between the
plan and the deletes saves its function.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.aws

REGION = "us-east-1"
WINDOW = "30"
UNGUARDED = {"idle", "idle-versions"}


def build(seed: Any) -> None:
    seed.function("idle", 0)
    seed.function("idle-versions", 3)
    seed.alias("idle-versions", "live", "2")  # an alias is not use: its invocations would show
    seed.function("busy", 2)
    seed.invoked("busy", days_ago=3, count=12)
    seed.function("via-alias", 2)
    seed.alias("via-alias", "live", "2")
    seed.invoked("via-alias", days_ago=5, count=4, qualifier="live")
    seed.function("stacked", 0)
    seed.tag("stacked", {"aws:cloudformation:stack-name": "billing-app"})
    seed.function("scheduled", 0)
    seed.lam.add_permission(
        FunctionName="scheduled",
        StatementId="nightly",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:{REGION}:{seed.account}:rule/nightly",
    )
    seed.function("queued", 1)
    seed.mapping("queued")
    seed.function("with-url", 0)
    seed.lam.create_function_url_config(FunctionName="with-url", AuthType="NONE")
    seed.function("warm", 1)
    seed.provisioned("warm", "1")
    seed.function("pinned", 0)
    seed.tag("pinned", {"layer-builder:keep": "yes"})
    for name in (
        "idle",
        "idle-versions",
        "busy",
        "via-alias",
        "stacked",
        "scheduled",
        "queued",
        "with-url",
        "warm",
        "pinned",
    ):
        seed.age_all(name, 200)
    seed.function("fresh", 1)  # created now: younger than the window
    # Invoked 40 days ago only: outside the 30-day window, so unused.
    seed.invoked("idle", days_ago=40, count=100)


def functions(seed: Any) -> set[str]:
    return {name for kind, name, _ in seed.versions() if kind == "function"}


def unused_rules(report: dict[str, Any]) -> dict[str, set[str]]:
    (region,) = report["regions"]
    return {f["name"]: {r["rule"] for r in f["references"]} for f in region["plan"]["unused_functions"]}


@pytest.fixture(scope="module")
def scenario(moto_server: Any, tools: Any) -> dict[str, Any]:
    with tools.seeded(moto_server, REGION, build) as (seed, cli):
        storage = cli.json("storage", "--region", REGION, "--unused-days", WINDOW)
        storage_text = cli("storage", "--region", REGION, "--unused-days", WINDOW)
        dry = cli.json("prune", "--region", REGION, "--unused-functions", WINDOW)
        before = functions(seed)
        applied = cli.json("prune", "--region", REGION, "--unused-functions", WINDOW, "--apply", "--yes")
        after = functions(seed)
        again = cli.json("prune", "--region", REGION, "--unused-functions", WINDOW)
    return locals()


def test_storage_lists_the_functions_not_invoked_with_what_refers_to_them(scenario):
    rules = unused_rules(scenario["storage"])
    # Invoked (directly, or only through an alias) in the window: not unused.
    assert "busy" not in rules and "via-alias" not in rules
    assert rules["idle"] == {"report-only"} and rules["idle-versions"] == {"report-only"}
    assert "too-young" in rules["fresh"]
    assert "cloudformation" in rules["stacked"]
    assert "invoke-permission" in rules["scheduled"]
    assert "event-source-mapping" in rules["queued"]
    assert "function-url" in rules["with-url"]
    assert "provisioned-concurrency" in rules["warm"]
    assert "keep-tag" in rules["pinned"]
    (region,) = scenario["storage"]["regions"]
    idle = next(f for f in region["plan"]["unused_functions"] if f["name"] == "idle-versions")
    assert idle["versions"] == 4 and idle["runtime"] == "python3.12" and idle["bytes"] > 0
    text = scenario["storage_text"]
    assert text.exit_code == 0, text.output
    assert "not invoked in 30 days" in text.stdout and "% of the quota" in text.stdout
    texts = {
        f["name"]: " ".join(r["text"] for r in f["references"]) for f in region["plan"]["unused_functions"]
    }
    assert "billing-app" in texts["stacked"] and "events.amazonaws.com" in texts["scheduled"]


def test_prune_plans_only_the_unused_and_unguarded_functions_whole(scenario):
    (region,) = scenario["dry"]["regions"]
    whole = {d["name"] for d in region["plan"]["delete"] if d["version"] == "*"}
    assert whole == UNGUARDED
    # Their versions are not planned one by one as well.
    assert not [d for d in region["plan"]["delete"] if d["name"] in UNGUARDED and d["version"] != "*"]
    stacked = next(k for k in region["plan"]["keep"] if k["name"] == "stacked" and k["version"] == "*")
    assert any(
        "delete the stack instead" in r["text"] and "billing-app" in r["text"] for r in stacked["reasons"]
    )


def test_apply_deletes_exactly_them_and_a_second_run_changes_nothing(scenario):
    assert scenario["before"] - scenario["after"] == UNGUARDED
    assert scenario["after"] == scenario["before"] - UNGUARDED
    (region,) = scenario["applied"]["regions"]
    assert {
        r["name"] for r in region["result"] if r["version"] == "*" and r["status"] == "deleted"
    } == UNGUARDED
    (again,) = scenario["again"]["regions"]
    assert [d for d in again["plan"]["delete"] if d["version"] == "*"] == []


def test_an_invocation_between_plan_and_delete_saves_the_function(seed, cli_process):
    seed.function("late", 2)
    seed.function("gone-for-good", 0)
    for name in ("late", "gone-for-good"):
        seed.age_all(name, 200)
    process = cli_process("prune", "--region", REGION, "--unused-functions", WINDOW, "--apply")
    process.wait_for("Delete 2 whole functions")
    seed.invoked("late", days_ago=0.01, count=1)
    process.answer("y")
    code, out, err = process.finish()
    assert code == 0, out + err
    assert functions(seed) == {"late"}
    assert "invoked since the plan" in out


@pytest.mark.parametrize("days", ["0", "456"])
def test_a_window_cloudwatch_cannot_cover_is_refused(cli, days):
    result = cli("prune", "--region", REGION, "--unused-functions", days)
    assert result.exit_code == 2
    assert "between 1 and 455 days" in result.output


def test_metrics_that_cannot_be_read_delete_nothing_and_fail_the_exit_code(seed, cli, server):
    seed.function("idle", 0)
    seed.age_all("idle", 200)
    server.refuse_service("monitoring")
    result = cli("prune", "--region", REGION, "--unused-functions", WINDOW, "--apply", "--yes")
    assert result.exit_code == 9, result.output
    assert functions(seed) == {"idle"}
    assert "invocation metrics" in result.output and "AccessDenied" in result.output
