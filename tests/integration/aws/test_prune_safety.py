"""Bad input and a hostile control plane: unknown regions, --keep 0, unreadable functions,
throttling storms. Whatever happens, nothing protected is deleted."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.aws

REGION = "us-east-1"


def small_region(seed: Any) -> None:
    """api: alias on 2, four more versions; broken: six versions; a layer nobody uses."""
    seed.function("api", 6)
    seed.alias("api", "live", "2")
    seed.function("broken", 6)
    seed.layer("orphan", 4)


def labels(report: dict[str, Any], key: str = "delete") -> set[str]:
    return {f"{d['name']}:{d['version']}" for r in report["regions"] if r.get("plan") for d in r["plan"][key]}


def test_unknown_region_is_refused_before_any_call(cli, server):
    calls: list[Any] = []
    server.ext.hooks.append(calls.append)
    result = cli("prune", "--region", "us-east-1", "--region", "eu-wets-1")
    assert result.exit_code == 2
    assert "unknown region 'eu-wets-1' (did you mean 'eu-west-" in result.stderr
    assert calls == []


def test_keep_zero_is_refused_unless_older_than_is_a_day_or_more(cli, seed):
    seed.function("api", 3)
    for version in ("1", "2"):
        seed.age_function("api", version, days=2)
    before = seed.versions()
    for age in ([], ["--older-than", "0"]):  # no age limit, or one that keeps nothing
        refused = cli("prune", "--region", REGION, "--keep", "0", *age, "--apply", "--yes")
        assert refused.exit_code == 2
        assert "--keep 0" in refused.stderr and "1 day or more" in refused.stderr
        assert seed.versions() == before
    # api:3 was published seconds ago: a real age limit keeps it.
    allowed = cli.json("prune", "--region", REGION, "--keep", "0", "--older-than", "1", "--apply", "--yes")
    assert labels(allowed) == {"api:1", "api:2"}
    assert before - seed.versions() == {("function", "api", "1"), ("function", "api", "2")}


def test_an_age_limit_past_any_date_is_refused_without_a_traceback(cli, seed):
    seed.function("api", 3)
    result = cli("prune", "--region", REGION, "--older-than", "740000")
    assert result.exit_code == 2
    assert "--older-than must be between 0 and 36500 days, got 740000" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unreadable_function_is_kept_whole_and_the_rest_is_still_pruned(cli, seed, server):
    small_region(seed)
    server.deny(lambda r: r.method == "GET" and r.path.endswith("/functions/broken/aliases"))
    report = cli.json("prune", "--region", REGION, "--keep", "1", "--apply", "--yes", expect=9)
    assert not {label for label in labels(report) if label.startswith("broken")}
    assert all(("function", "broken", str(i)) in seed.versions() for i in range(1, 7))
    assert labels(report) == {"api:1", "api:3", "api:4", "api:5", "orphan:1", "orphan:2", "orphan:3"}
    assert any("broken" in line and "AccessDeniedException" in line for line in report["problems"])


def test_a_transient_throttling_storm_changes_nothing(cli, seed, server):
    seed.function("api", 4)
    seed.alias("api", "live", "2")
    seed.layer("orphan", 3)
    baseline = cli.json("prune", "--region", REGION, "--keep", "1")
    # Every second Lambda request is throttled until 5 have been; the retries must ride it out.
    # (A longer storm works too, but adaptive mode then slows the client towards 0.5 calls a
    # second, which is the point in production and only slow here.)
    storm = server.throttle(lambda r: True, every=2, times=5)
    stormy = cli.json("prune", "--region", REGION, "--keep", "1", "--apply", "--yes")
    assert storm.failed == 5
    assert stormy["regions"][0]["plan"] == baseline["regions"][0]["plan"]
    statuses = {r["status"] for r in stormy["regions"][0]["result"]}
    assert statuses == {"deleted"}
    assert ("function", "api", "2") in seed.versions()


def test_a_throttle_that_outlives_the_retries_keeps_what_it_hides(cli, seed, server):
    small_region(seed)
    server.throttle(lambda r: "/aliases" in r.path)
    report = cli.json(
        "prune", "--region", REGION, "--keep", "1", "--max-attempts", "2", "--apply", "--yes", expect=9
    )
    assert labels(report) == {"orphan:1", "orphan:2", "orphan:3"}
    assert ("function", "api", "1") in seed.versions()
    problems = report["regions"][0]["plan"]["problems"]
    assert {p["name"] for p in problems} == {"api", "broken"}
    assert all("still throttled after 2 attempts" in p["error"] for p in problems)


def test_a_function_listing_cut_short_plans_nothing_in_that_region(cli, seed, server):
    for i in range(12):  # 12 functions x 5 versions: more than one page of 50
        seed.function(f"fn{i}", 4)
    seed.layer("orphan", 5)
    before = seed.versions()
    server.throttle(lambda r: r.path.startswith("/2015-03-31/functions") and r.param("Marker") is not None)
    result = cli("prune", "--region", REGION, "--keep", "1", "--max-attempts", "2", "--apply", "--yes")
    assert result.exit_code == 9
    assert "could not list the functions" in result.stdout + result.stderr
    server.ext.faults.clear()
    assert seed.versions() == before


def test_deletes_throttled_for_good_are_reported_and_nothing_else_is_touched(cli, seed, server):
    seed.function("api", 3)
    before = seed.versions()
    server.throttle(lambda r: r.method == "DELETE")
    report = cli.json(
        "prune", "--region", REGION, "--keep", "1", "--max-attempts", "2", "--apply", "--yes", expect=9
    )
    statuses = {(r["name"], r["version"]): r["status"] for r in report["regions"][0]["result"]}
    assert set(statuses.values()) == {"failed"}
    assert seed.versions() == before
    # Repeating the run once the throttling is gone finishes the job.
    server.ext.faults.clear()
    retry = cli.json("prune", "--region", REGION, "--keep", "1", "--apply", "--yes")
    assert {r["status"] for r in retry["regions"][0]["result"]} == {"deleted"}
    json.dumps(retry)


def test_a_version_deleted_by_someone_else_meanwhile_counts_as_done(cli, seed, server):
    seed.function("api", 4)

    def race(request: Any) -> None:
        # Another run deletes api:1 just before ours does: ours gets moto's real 404.
        if request.method == "DELETE" and request.param("Qualifier") == "1":
            server.ext.hooks.clear()
            seed.lam.delete_function(FunctionName="api", Qualifier="1")

    server.ext.hooks.append(race)
    report = cli.json("prune", "--region", REGION, "--keep", "2", "--apply", "--yes")
    statuses = {r["version"]: r["status"] for r in report["regions"][0]["result"]}
    assert statuses == {"1": "already-gone", "2": "deleted"}


def test_apply_asks_first_and_a_no_deletes_nothing(cli, seed):
    seed.function("api", 4)
    before = seed.versions()
    declined = cli("prune", "--region", REGION, "--keep", "1", "--apply", input="n\n")
    assert declined.exit_code == 2
    assert "Delete 3 versions" in declined.stderr and "nothing was deleted" in declined.stderr
    assert seed.versions() == before
    accepted = cli("prune", "--region", REGION, "--keep", "1", "--apply", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert before - seed.versions() == {("function", "api", str(i)) for i in (1, 2, 3)}
