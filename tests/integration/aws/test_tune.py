"""`tune --function` against the moto server over HTTP: the sweep puts everything back.

moto runs no code; the server answers Invoke with a REPORT line whose durations follow the
version's memory (motoserver.InvokeModel), and refuses a stale RevisionId as AWS does.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.aws

NAME = "tuned"
IGNORED = ("RevisionId", "LastModified", "LastUpdateStatus", "LastUpdateStatusReason", "ResponseMetadata")


def config(seed: Any) -> dict[str, Any]:
    answer = seed.lam.get_function_configuration(FunctionName=NAME)
    return {k: v for k, v in answer.items() if k not in IGNORED}


def versions(seed: Any) -> list[str]:
    found = seed.lam.list_versions_by_function(FunctionName=NAME)["Versions"]
    return sorted(v["Version"] for v in found if v["Version"] != "$LATEST")


@pytest.fixture
def function(seed: Any) -> dict[str, Any]:
    """A function at 128 MB with two published versions, the second identical to $LATEST."""
    seed.function(NAME, 2)
    return {"config": config(seed), "versions": versions(seed)}


def tune(cli: Any, *args: str, expect: int = 0) -> dict[str, Any]:
    return cli.json("tune", "--function", NAME, "--region", "us-east-1", *args, expect=expect)  # type: ignore[no-any-return]


def test_the_sweep_measures_each_size_then_restores_and_deletes_only_its_versions(
    cli: Any, seed: Any, server: Any, function: dict[str, Any]
):
    assert function["versions"] == ["1", "2"]
    report = tune(cli, "--memory", "128,256,512", "--runs", "3")
    sizes = {row["memory_mb"]: row for row in report["sizes"]}
    assert [sizes[m]["status"] for m in (128, 256, 512)] == ["ok", "ok", "ok"]
    # the model's durations fall with memory; INIT is read from the cold call's REPORT
    medians = [sizes[m]["warm_median_ms"] for m in (128, 256, 512)]
    assert medians[0] > medians[1] > medians[2]
    assert all(len(sizes[m]["samples"]["init_ms"]) == 1 for m in (128, 256, 512))
    assert all(len(sizes[m]["samples"]["warm_ms"]) == 2 for m in (128, 256, 512))
    assert sizes[128]["max_memory_mb"] == 60
    assert report["recommendations"]["speed"]["memory_mb"] == 512
    # every call went to a version of the size it measured; 128 MB is version 2, which Lambda
    # hands back because nothing changed since it was published
    called = {(i.version, i.memory) for i in server.ext.invocations}
    assert called == {("2", 128), ("3", 256), ("4", 512)}
    # put back: the configuration as it was, the versions as they were (2 used, not deleted)
    assert config(seed) == function["config"]
    assert versions(seed) == ["1", "2"]


def test_a_throttled_invoke_is_retried_and_counted(
    cli: Any, seed: Any, server: Any, function: dict[str, Any]
):
    server.throttle(lambda r: r.path.endswith("/invocations"), times=3)
    report = tune(cli, "--memory", "256,512", "--runs", "2")
    assert [row["status"] for row in report["sizes"]] == ["ok", "ok"]
    assert len(server.ext.invocations) == 4  # every call made it, after the throttles
    assert any("3 invocations were throttled" in note for note in report["notes"])
    assert config(seed) == function["config"]
    assert versions(seed) == ["1", "2"]


def test_a_throttle_storm_stops_the_sweep_and_still_cleans_up(
    cli: Any, seed: Any, server: Any, function: dict[str, Any]
):
    server.throttle(lambda r: r.path.endswith("/invocations"))
    result = cli("tune", "--function", NAME, "--region", "us-east-1", "--memory", "256,512", "--runs", "2")
    assert result.exit_code == 9, result.stdout + result.stderr
    assert "throttled every one of" in result.stderr
    assert "memory restored to 128 MB" in result.stderr
    assert config(seed) == function["config"]
    assert versions(seed) == ["1", "2"]


def test_ctrl_c_in_the_middle_restores_and_cleans_up(
    cli_process: Any, seed: Any, server: Any, function: dict[str, Any]
):
    server.delay(lambda r: r.path.endswith("/invocations"), 0.3)
    # 512 MB is version 4: once its first call is in flight, Ctrl-C
    in_flight = server.delay(lambda r: r.path.endswith("/invocations") and r.param("Qualifier") == "4", 120)
    process = cli_process(
        "tune", "--function", NAME, "--region", "us-east-1", "--memory", "256,512,1024", "--runs", "3"
    )
    assert in_flight.arrived.wait(60)
    process.interrupt()
    # Held until tune says it stopped, so the run cannot reach 1024 MB however slowly Ctrl-C lands.
    process.wait_for("stopping: finishing calls in flight")
    in_flight.release()
    code, _, stderr = process.finish()
    assert code == 130, stderr
    assert "interrupted" in stderr and "memory restored to 128 MB" in stderr
    # 1024 MB never started; the calls in flight for 512 MB finished
    assert {i.memory for i in server.ext.invocations} == {256, 512}
    assert config(seed) == function["config"]
    assert versions(seed) == ["1", "2"]


def test_a_concurrent_deploy_is_detected_and_never_overwritten(
    cli: Any, seed: Any, server: Any, function: dict[str, Any]
):
    fired: list[str] = []

    def deploy_during_the_second_size(request: Any) -> None:
        if request.path.endswith("/invocations") and request.param("Qualifier") == "3" and not fired:
            fired.append("x")
            seed.lam.update_function_configuration(FunctionName=NAME, Timeout=42)

    server.ext.hooks.append(deploy_during_the_second_size)
    result = cli(
        "tune", "--function", NAME, "--region", "us-east-1", "--memory", "128,256,512", "--runs", "2"
    )
    assert fired
    assert result.exit_code == 9, result.stdout + result.stderr
    assert "changed by someone else" in result.stderr
    assert "NOT restored" in result.stderr
    after = config(seed)
    assert after["Timeout"] == 42  # theirs, kept
    assert after["MemorySize"] == 256  # what tune had set when they deployed: not touched since
    assert versions(seed) == ["1", "2"]  # tune's version 3 deleted all the same


def test_a_stale_revision_id_is_refused_by_the_server(seed: Any, function: dict[str, Any]):
    """The server behaves as AWS does, which the test above relies on."""
    revision = seed.lam.get_function_configuration(FunctionName=NAME)["RevisionId"]
    seed.lam.update_function_configuration(FunctionName=NAME, MemorySize=256, RevisionId=revision)
    with pytest.raises(seed.lam.exceptions.PreconditionFailedException):
        seed.lam.update_function_configuration(FunctionName=NAME, MemorySize=512, RevisionId=revision)


def test_apply_sets_the_recommended_memory(cli: Any, seed: Any, function: dict[str, Any]):
    report = tune(cli, "--memory", "256,512", "--runs", "2", "--strategy", "speed", "--apply")
    assert report["recommendations"]["speed"]["memory_mb"] == 512
    after = config(seed)
    assert after["MemorySize"] == 512
    assert {k: v for k, v in after.items() if k != "MemorySize"} == {
        k: v for k, v in function["config"].items() if k != "MemorySize"
    }
    assert versions(seed) == ["1", "2"]


def test_a_size_below_the_functions_memory_use_is_reported_out_of_memory(
    cli: Any, server: Any, function: dict[str, Any]
):
    server.ext.invoke_model.used_mb = 200
    report = tune(cli, "--memory", "128,256", "--runs", "2")
    small, large = report["sizes"]
    assert small["status"] == "oom" and large["status"] == "ok"
    assert report["recommendations"]["cost"]["memory_mb"] == 256


def test_a_function_being_updated_is_refused_before_anything_changes(
    cli: Any, seed: Any, server: Any, function: dict[str, Any]
):
    server.ext.updating.add((seed.account, "us-east-1", NAME))
    result = cli("tune", "--function", NAME, "--region", "us-east-1", "--memory", "256")
    assert result.exit_code == 2
    assert "is being updated" in result.stderr
    assert server.ext.invocations == []
    assert versions(seed) == ["1", "2"]


def test_a_function_that_does_not_exist_is_refused(cli: Any):
    result = cli("tune", "--function", "nope", "--region", "us-east-1", "--memory", "256")
    assert result.exit_code == 2
    assert "function nope does not exist" in result.stderr


def test_the_json_report_is_what_a_script_reads(cli: Any, function: dict[str, Any]):
    report = tune(cli, "--memory", "1024", "--runs", "1")
    row = report["sizes"][0]
    assert json.dumps(report)  # plain JSON
    assert report["mode"] == "aws" and report["arch"] == "x86_64"
    assert row["warm_median_ms"] == pytest.approx(1000 * 1769 / 1024, abs=0.01)  # the cold call stands in
    assert row["cost_per_invocation"] == pytest.approx((1728 / 1000) * 1 * 0.0000166667 + 0.2 / 1e6)


def test_the_region_comes_from_the_environment_like_every_aws_command(cli: Any, function: dict[str, Any]):
    # AWS_DEFAULT_REGION names us-east-1 here (the server's environment): no --region needed.
    report = cli.json("tune", "--function", NAME, "--memory", "256", "--runs", "1")
    assert [row["memory_mb"] for row in report["sizes"]] == [256]


def test_an_unknown_profile_is_bad_input(cli: Any):
    result = cli("tune", "--function", NAME, "--profile", "nope", "--memory", "256")
    assert result.exit_code == 2
    assert "unknown AWS profile 'nope'" in result.stderr
