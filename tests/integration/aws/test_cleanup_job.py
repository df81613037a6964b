"""The scheduled job as Lambda would run it: the packaged zip, extracted, its handler called in a
fresh interpreter without the CLI's libraries, against the moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import pytest

from builder.cleanup import job

pytestmark = pytest.mark.aws

RUN = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("typer", "rich", "click"):
            raise ImportError("not in the Lambda runtime: " + name)
sys.meta_path.insert(0, Block())
from builder.cleanup.job import handler
try:
    handler({"source": "aws.events"}, None)
except Exception as exc:
    print(json.dumps({"event": "raised", "type": type(exc).__name__, "message": str(exc)}))
"""


@pytest.fixture
def run_job(tmp_path: Path, server: Any):
    zip_path, _ = job.package(tmp_path / "cleanup-job.zip")
    code = tmp_path / "task"
    zipfile.ZipFile(zip_path).extractall(code)

    def run(**settings: str) -> list[dict[str, Any]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRUNE_")}
        env.update({"AWS_REGION": "us-east-1", **settings})
        # -S: the editable install's .pth is not read, so `builder` can only come from the zip.
        result = subprocess.run(
            [sys.executable, "-S", "-c", RUN, str(code), sysconfig.get_paths()["purelib"]],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    return run


def test_job_logs_the_plan_as_json_and_deletes_nothing_by_default(run_job, seed):
    seed.function("api", 5)
    seed.alias("api", "live", "1")
    before = seed.versions()
    log = run_job(PRUNE_KEEP="2")
    assert seed.versions() == before
    deletes = {e["version"] for e in log if e["event"] == "delete"}
    assert deletes == {"2", "3"}
    keep = next(e for e in log if e["event"] == "keep" and e["name"] == "api")
    assert keep["versions"]["1"] == ["alias live"]
    result = log[-1]
    assert result["event"] == "result" and result["applied"] is False and result["problems"] == []
    assert not any(e["event"] == "deleted" for e in log)


def test_job_applies_when_told_and_fails_loudly_on_problems(run_job, seed, server):
    seed.function("api", 5)
    seed.function("locked", 5)
    server.deny(lambda r: r.path.endswith("/functions/locked/aliases"))
    log = run_job(PRUNE_KEEP="2", PRUNE_APPLY="true", PRUNE_FUNCTIONS="*", PRUNE_MAX_ATTEMPTS="2")
    assert {e["version"] for e in log if e["event"] == "deleted" and e["status"] == "deleted"} == {
        "1",
        "2",
        "3",
    }
    assert ("function", "api", "1") not in seed.versions()
    assert ("function", "locked", "1") in seed.versions()
    assert log[-1]["event"] == "raised" and log[-1]["type"] == "JobFailed"
    result = next(e for e in log if e["event"] == "result")
    assert any("locked" in line for line in result["problems"])


def test_job_stops_early_under_persistent_throttling_and_still_writes_its_result(run_job, seed, server):
    for i in range(12):
        seed.function(f"fn{i:02d}", 3)
    before = seed.versions()
    reads: list[Any] = []
    server.ext.hooks.append(lambda r: reads.append(r) if r.path.endswith("/aliases") else None)
    server.throttle(lambda r: r.path.endswith("/aliases"))
    log = run_job(PRUNE_KEEP="1", PRUNE_APPLY="true", PRUNE_MAX_ATTEMPTS="1")
    assert len(reads) < 12  # the breaker opened; the rest were never read
    assert seed.versions() == before
    result = next(e for e in log if e["event"] == "result")
    assert any("were still throttled after their retries" in line for line in result["problems"])
    assert any("run again later" in hint for hint in result["hints"])
    assert log[-1]["event"] == "raised" and log[-1]["type"] == "JobFailed"
