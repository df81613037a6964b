"""Publishing exactly once per content and region when answers are lost, and when two runs publish
the same layer at once: a proxy in front of the moto server forwards PublishLayerVersion and then
loses the answer (a 500, a reset connection, an answer slower than the read timeout)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import faultproxy, layerfiles

pytestmark = pytest.mark.aws


REGION = "us-east-1"
NAME = "demo-py312-x86_64"
LARGE = 52_500_000  # over the direct-upload limit: goes through S3
READ_TIMEOUT = "1"  # seconds; the delay fault holds the answer for 3
BUCKET = "layer-builder-123456789012-us-east-1"


@pytest.fixture
def proxy(server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fault proxy in front of the moto server; the CLI talks to the proxy."""
    running = faultproxy.FaultProxy(server.url).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", running.url)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("small") / "layers"
    layerfiles.write_layer(root)
    return root


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("large") / "layers"
    layerfiles.write_layer(root, content="large", payload_bytes=LARGE)
    return root


@pytest.fixture(params=["direct", "s3"])
def layers(request: pytest.FixtureRequest, small: Path, large: Path) -> Path:
    return small if request.param == "direct" else large


def args(layers: Path, read_timeout: str = READ_TIMEOUT) -> list[str]:
    return [
        "publish", "demo", "--layers-dir", str(layers), "--recipes", str(layers),
        "--region", REGION, "--create-bucket", "--read-timeout", read_timeout, "--max-attempts", "3",
    ]  # fmt: skip


def versions(seed: Any) -> list[int]:
    return sorted(v["Version"] for v in seed.lam.list_layer_versions(LayerName=NAME)["LayerVersions"])


def uploads_left(seed: Any, server: Any) -> list[str]:
    s3 = seed.session.client("s3", endpoint_url=server.url)
    if BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        return []
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    left += [u["Key"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]
    return left


@pytest.mark.parametrize("kind", ["error", "reset", "delay"])
def test_a_lost_answer_to_publishing_publishes_one_version(cli, proxy, seed, server, layers, kind):
    proxy.add(kind, faultproxy.publish_layer, seconds=3.0)
    result = cli(*args(layers), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    outcome = report["regions"][0]["layers"][0]
    assert outcome["status"] == "published" and outcome["version"] == 1, outcome
    assert any("answer to publishing was lost" in note for note in outcome["notes"]), outcome
    assert versions(seed) == [1]
    assert [p for m, p, what in proxy.seen if what == kind], proxy.seen  # the fault did fire
    assert uploads_left(seed, server) == []
    again = json.loads(cli(*args(layers), "--json").stdout)["regions"][0]["layers"][0]
    assert again["status"] == "unchanged" and versions(seed) == [1]


def test_a_lost_answer_is_shown_as_a_warning_with_the_arn(cli, proxy, seed, small):
    proxy.add("reset", faultproxy.publish_layer)
    result = cli(*args(small))
    assert result.exit_code == 0, result.stderr
    assert f"layer:{NAME}:1" in result.stdout and "warning" in result.stdout
    assert "answer to publishing was lost" in result.stdout and versions(seed) == [1]


def test_two_runs_publishing_the_same_layer_at_once_make_one_version(
    cli_process, proxy, seed, server, layers
):
    # The server holds the first request until the second has arrived too, so both are surely in
    # flight together however slowly either process starts.
    held = server.delay(lambda r: r.method == "POST" and r.path.rstrip("/").endswith(f"{NAME}/versions"), 120)
    runs = [cli_process(*args(layers, read_timeout="150"), "--json") for _ in range(2)]
    together = held.wait_seen(2, timeout=120)
    held.release()
    results = [run.finish(timeout=180) for run in runs]
    assert together, results
    assert [code for code, _, _ in results] == [0, 0], results
    assert held.seen == 2  # both runs did publish
    outcomes = [json.loads(out)["regions"][0]["layers"][0] for _, out, _ in results]
    assert versions(seed) == [1]
    assert {o["version"] for o in outcomes} == {1} and {o["status"] for o in outcomes} == {"published"}
    notes = [note for o in outcomes for note in o["notes"]]
    assert len(notes) == 1 and "deleted version 2, which this run made, and used 1" in notes[0], notes
    assert uploads_left(seed, server) == []
    keys = {o["upload"]["key"] for o in outcomes if o["upload"]}
    assert len(keys) == (0 if outcomes[0]["upload"] is None else 2)  # one upload object per run


def test_an_upload_that_cannot_be_deleted_is_a_warning_naming_it(cli, proxy, seed, server, large):
    proxy.add("refuse", lambda method, path: method == "DELETE" and "/layer-builder/uploads/" in path)
    result = cli(*args(large), "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    outcome = json.loads(result.stdout)["regions"][0]["layers"][0]
    key = outcome["upload"]["key"]
    assert uploads_left(seed, server) == [key]
    (note,) = outcome["notes"]
    assert f"could not delete the uploaded zip s3://{BUCKET}/{key}" in note
    assert f"aws s3 rm s3://{BUCKET}/{key}" in note and "put-bucket-lifecycle-configuration" in note
