"""A person running `prune --apply` by hand: Ctrl-C while deleting, changes made while the prompt
waits, end of input at the prompt, blank and unmatched patterns, --json --apply, bad numbers,
missing credentials and throttling that never lets up. Through the real CLI against the moto
server; the signal and the prompt tests run the CLI in a process of its own."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest

from builder.cleanup.brake import DEFAULT_THROTTLE_LIMIT
from builder.cleanup.inventory import DEFAULT_WORKERS

pytestmark = pytest.mark.aws

REGION = "us-east-1"
PRUNE = ("prune", "--region", REGION, "--keep", "1")
STOPPING = "stopping: no new call starts"  # printed once Ctrl-C has been handled


def planned(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (d["kind"], d["name"], d["version"])
        for r in report["regions"]
        if r.get("plan")
        for d in r["plan"]["delete"]
    }


def labels_after(prefix: str, text: str) -> set[str]:
    """The labels listed on the output line that starts with `prefix` ("deleted (3): a:1 a:2 b:1")."""
    line = next(line for line in text.splitlines() if line.strip().startswith(prefix))
    return set(line.split("): ", 1)[1].split())


def as_labels(versions: set[tuple[str, str, str]]) -> set[str]:
    return {f"{name}:{version}" for _, name, version in versions}


def test_ctrl_c_cancels_pending_deletes_lets_those_in_flight_finish_and_a_rerun_continues(
    cli, cli_process, seed, server
):
    for i in range(6):
        seed.function(f"fn{i}", 5)
    seed.alias("fn0", "live", "2")
    seed.layer("orphan", 3)
    before = seed.versions()
    plan = planned(cli.json(*PRUNE))
    assert len(plan) == 6 * 4 - 1 + 2
    sent: list[str] = []
    server.ext.hooks.append(
        lambda r: (
            sent.append(f"{r.path.split('/')[-1]}:{r.param('Qualifier')}") if r.method == "DELETE" else None
        )
    )
    slow = server.delay(lambda r: r.method == "DELETE", seconds=120)

    run = cli_process(*PRUNE, "--apply", "--yes")
    assert slow.arrived.wait(timeout=120), "no delete was ever sent"
    run.interrupt()  # while the first deletes are held by the server
    run.wait_for(STOPPING)  # however slowly the signal was handled, no new call starts from here
    slow.release()
    code, out, err = run.finish()

    assert code == 130, out + err
    gone = before - seed.versions()
    # Pending deletes were never sent: only those already in flight (one per thread) went out,
    # and each of them finished.
    assert 1 <= len(sent) <= DEFAULT_WORKERS < len(plan)
    assert len(gone) == len(sent) and gone <= plan
    # The output says exactly what was deleted and what was not, and that a re-run continues.
    assert labels_after("deleted (", out) == as_labels(gone)
    assert labels_after("not started (", out) == as_labels(plan - gone)
    assert f"interrupted: {len(gone)} versions deleted, {len(plan) - len(gone)} not deleted" in err
    assert "run the same command again" in err
    assert "nothing partial was left in the output" not in err

    server.ext.delays.clear()
    again = cli.json(*PRUNE, "--apply", "--yes")
    assert {r["status"] for r in again["regions"][0]["result"]} == {"deleted"}
    assert seed.versions() == before - plan
    assert ("function", "fn0", "2") in seed.versions()


def test_ctrl_c_while_reading_deletes_nothing_and_says_so(cli_process, seed, server):
    for i in range(6):
        seed.function(f"fn{i}", 3)
    before = seed.versions()
    slow = server.delay(lambda r: r.path.endswith("/aliases"), seconds=120)
    run = cli_process(*PRUNE, "--apply", "--yes")
    assert slow.arrived.wait(timeout=120)
    run.interrupt()
    run.wait_for(STOPPING)
    slow.release()
    code, out, err = run.finish()
    assert code == 130, out + err
    assert "interrupted while reading the account: nothing was deleted" in err
    assert slow.seen <= DEFAULT_WORKERS  # the functions not read yet were never asked for
    assert seed.versions() == before


def test_changes_made_while_the_prompt_waits_are_seen_before_deleting(cli_process, seed):
    seed.function("api", 4)
    seed.function("worker", 3)
    seed.layer("orphan", 2)
    run = cli_process(*PRUNE, "--apply")
    run.wait_for("Delete 6 versions")
    # Meanwhile: an event source mapping starts invoking api:2, and worker is deleted and
    # created again, so worker:1 and worker:2 are new versions under the planned numbers.
    seed.mapping("api:2")
    seed.lam.delete_function(FunctionName="worker")
    seed.function("worker", 3)
    recreated = seed.versions()
    run.answer("y")
    code, out, err = run.finish()

    assert code == 0, out + err
    assert recreated - seed.versions() == {
        ("function", "api", "1"),
        ("function", "api", "3"),
        ("layer", "orphan", "1"),
    }
    assert "3 of 6 planned versions deleted" in out
    assert re.search(r"not deleted function api:2: an event source mapping invokes it", out)
    for version in ("1", "2"):
        assert re.search(rf"not deleted function worker:{version}: changed since the plan \(modified", out)


def test_end_of_input_or_ctrl_c_at_the_prompt_deletes_nothing(cli_process, seed):
    seed.function("api", 3)
    before = seed.versions()
    closed = cli_process(*PRUNE, "--apply", stdin=subprocess.DEVNULL)
    code, out, err = closed.finish()
    assert code == 2, out + err
    assert "not confirmed: nothing was deleted" in err and "Aborted" not in err
    interrupted = cli_process(*PRUNE, "--apply")
    interrupted.wait_for("Delete 2 versions")
    sent = 0
    while True:  # Ctrl-C until it ends, so a hang fails here instead of waiting for input forever
        interrupted.interrupt()
        sent += 1
        try:
            code, out, err = interrupted.finish(timeout=10)
            break
        except subprocess.TimeoutExpired:
            assert sent < 3, (
                f"Ctrl-C at the prompt was ignored; the process's threads:\n{interrupted.stacks()}"
            )
    assert sent == 1 and code == 2, out + err
    assert "not confirmed: nothing was deleted" in err
    assert seed.versions() == before


@pytest.mark.parametrize("option", ["--functions", "--layer-names", "--layers"])
@pytest.mark.parametrize("value", ["", ",", " ", "api-*,"])
def test_a_blank_pattern_is_refused_before_any_call(cli, seed, server, option, value):
    seed.function("api-orders", 3)
    seed.layer("sci", 3)
    before = seed.versions()
    calls: list[Any] = []
    server.ext.hooks.append(calls.append)
    result = cli(*PRUNE, option, value, "--apply", "--yes")
    assert result.exit_code == 2
    assert f"{option} got an empty pattern" in result.stderr
    assert calls == [] and seed.versions() == before


def test_a_pattern_that_matches_nothing_is_reported(cli, seed):
    seed.function("orders", 3)
    seed.layer("sci", 3)
    before = seed.versions()
    text = cli(*PRUNE, "--functions", "api-*", "--layer-names", "sci", "--apply", "--yes")
    assert text.exit_code == 0, text.stderr
    assert f"--functions 'api-*' matched no function in {REGION}" in text.stdout
    assert "--layer-names 'sci' matched" not in text.stdout
    assert before - seed.versions() == {("layer", "sci", "1"), ("layer", "sci", "2")}
    report = cli.json(*PRUNE, "--functions", "api-*", "--layers", "nope")
    assert report["regions"][0]["plan"]["unmatched_patterns"] == [
        {"kind": "function", "pattern": "api-*"},
        {"kind": "layer", "pattern": "nope"},
    ]


def test_json_apply_without_yes_is_refused_before_any_question_or_call(cli, seed, server):
    seed.function("api", 4)
    before = seed.versions()
    calls: list[Any] = []
    server.ext.hooks.append(calls.append)
    result = cli(*PRUNE, "--apply", "--json", input="y\n")
    assert result.exit_code == 2
    assert "--json --apply needs --yes" in result.stderr
    assert "Delete" not in result.stderr and result.stdout == ""
    assert calls == [] and seed.versions() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("storage", "--region", REGION, "--top", "-1"), "--top must be 0 or more, got -1"),
        (("prune", "--region", REGION, "--older-than", "740000"), "--older-than must be between 0 and 36500"),
        (("prune", "--region", REGION, "--keep", "0", "--older-than", "0"), "--keep 0"),
    ],
)
def test_out_of_range_numbers_are_refused_before_any_call(cli, server, args, message):
    calls: list[Any] = []
    server.ext.hooks.append(calls.append)
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert calls == []


def test_top_zero_lists_no_holders_and_top_one_lists_one(cli, seed):
    seed.function("big", 2, size=5_000)
    seed.function("small", 2)
    region = cli.json("storage", "--region", REGION, "--top", "1")["regions"][0]
    assert [h["name"] for h in region["top_functions"]] == ["big"]
    assert cli.json("storage", "--region", REGION, "--top", "0")["regions"][0]["top_functions"] == []


def test_missing_credentials_end_with_how_to_configure_them(cli, seed, monkeypatch):
    seed.function("api", 3)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookup
    result = cli(*PRUNE)
    assert result.exit_code == 9
    assert "no AWS credentials found" in result.stdout + result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "hint:" in last and "configure credentials" in last
    assert "wait out the throttling" not in result.stderr


def test_reads_throttled_for_good_stop_the_region_and_the_next_run_continues(cli, seed, server):
    for i in range(12):
        seed.function(f"fn{i:02d}", 3)
    before = seed.versions()
    plan = planned(cli.json(*PRUNE))
    reads: list[Any] = []
    server.ext.hooks.append(lambda r: reads.append(r) if r.path.endswith("/aliases") else None)
    server.throttle(lambda r: r.path.endswith("/aliases"))

    result = cli(*PRUNE, "--max-attempts", "1", "--apply", "--yes")

    assert result.exit_code == 9
    # The breaker opened after a few throttled reads; the other functions were never read.
    assert len(reads) <= DEFAULT_THROTTLE_LIMIT + DEFAULT_WORKERS - 1 < 12
    assert seed.versions() == before
    assert "stopped after 3 calls in a row were still throttled after their retries" in result.stderr
    assert re.search(r"\d+ reads or deletes were not started \(what they cover was kept\)", result.stderr)
    assert "Lambda kept throttling: run again later" in result.stderr
    # What was never read is counted in one line, not listed once per function.
    assert re.search(r"not read \(\d+\): stopped after 3 calls in a row", result.stdout)
    assert "could not read function" in result.stdout
    assert not re.search(r"could not read function fn\d+: Halted", result.stdout)

    server.ext.faults.clear()
    again = cli.json(*PRUNE, "--apply", "--yes")
    assert again["problems"] == []
    assert seed.versions() == before - plan


def test_deletes_throttled_for_good_stop_starting_deletes_and_say_what_was_left(cli, seed, server):
    for i in range(12):
        seed.function(f"fn{i:02d}", 3)
    before = seed.versions()
    plan = planned(cli.json(*PRUNE))
    sent: list[Any] = []
    server.ext.hooks.append(lambda r: sent.append(r) if r.method == "DELETE" else None)
    server.throttle(lambda r: r.method == "DELETE")

    report = cli.json(*PRUNE, "--max-attempts", "1", "--apply", "--yes", expect=9)

    assert len(sent) <= DEFAULT_THROTTLE_LIMIT + DEFAULT_WORKERS - 1 < len(plan)
    assert seed.versions() == before
    statuses = [r["status"] for r in report["regions"][0]["result"]]
    assert statuses.count("failed") == len(sent)
    assert statuses.count("not-started") == len(plan) - len(sent)
    assert any("were not started" in line for line in report["problems"])

    server.ext.faults.clear()
    cli.json(*PRUNE, "--apply", "--yes")
    assert seed.versions() == before - plan


def test_a_layer_pattern_that_matches_nothing_is_named_by_its_option(cli, seed):
    seed.layer("sci", 3)
    text = cli(*PRUNE, "--layer-names", "tools-*")
    assert text.exit_code == 0, text.stderr
    assert f"--layer-names 'tools-*' matched no layer in {REGION}" in text.stdout
