"""`tune` on a real Docker engine: a CPU-bound handler in the stand-in image at several memory sizes.

The stand-in is Debian bookworm with Python 3.11, so the target is python3.11 with --base-image.
Only orders are asserted (more CPU, less time), never times.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import docker
import pytest
from typer.testing import CliRunner

from builder.cli import app

pytestmark = pytest.mark.docker

# The module's import does three times the work of a call, so INIT stands out from the first call.
APP = """
import helper

def work(n):
    return sum(i * i for i in range(n))

WARMED = work(3 * helper.N)

def handler(event, context):
    if event.get("allocate_mb"):
        block = bytearray(event["allocate_mb"] * 1024 * 1024)
        assert block[-1] == 0
    return {"total": work(helper.N), "memory": context.memory_limit_in_mb, "left": context.get_remaining_time_in_millis()}
"""


@pytest.fixture
def function(tmp_path: Path) -> dict[str, Path]:
    code = tmp_path / "src"
    code.mkdir()
    (code / "app.py").write_text(APP)
    # `helper` comes from a built layer, unpacked at /opt as Lambda does (python/ on sys.path).
    layer = tmp_path / "layers" / "helper" / "python3.11-x86_64" / "layer.zip"
    layer.parent.mkdir(parents=True)
    with zipfile.ZipFile(layer, "w") as archive:
        archive.writestr("python/helper.py", "N = 250_000\n")
    return {"code": code, "layers": tmp_path / "layers", "root": tmp_path}


def tune(function: dict[str, Path], image: str, *args: str, event: dict[str, Any] | None = None) -> Any:
    path = function["root"] / "event.json"
    path.write_text(json.dumps(event or {}))
    argv = [
        "tune", "--handler", "app.handler", "--code", str(function["code"]), "--layer", "helper",
        "--layers-dir", str(function["layers"]), "-r", "python3.11", "-a", "x86_64",
        "--event", str(path), "--base-image", image, *args,
    ]  # fmt: skip
    return CliRunner().invoke(app, argv, catch_exceptions=False)


def test_duration_falls_as_memory_rises_and_init_is_timed_apart(
    function: dict[str, Path], standin_image: str, docker_client: docker.DockerClient
):
    result = tune(function, standin_image, "--memory", "200,400,800", "--runs", "3", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    measured = report["sizes"]
    assert [row["memory_mb"] for row in measured] == [200, 400, 800]
    assert [row["status"] for row in measured] == ["ok", "ok", "ok"]
    medians = [row["warm_median_ms"] for row in measured]
    assert medians[0] > medians[1] > medians[2], medians
    for row in measured:
        samples = row["samples"]
        # two cold starts (each INIT and its first call), then the warm calls of the first process
        assert len(samples["init_ms"]) == 2 and len(samples["first_ms"]) == 2
        assert len(samples["warm_ms"]) == 3
        # INIT (three calls' worth of work at import) is timed apart from the first call
        assert row["init_ms"] > max(samples["first_ms"])
    assert report["recommendations"]["speed"]["memory_mb"] == 800
    # the container is gone (others may share the engine: look for the one with this code mounted)
    mounted = [
        c.name
        for c in docker_client.containers.list(all=True)
        if any(m.get("Source") == str(function["code"]) for m in c.attrs.get("Mounts", []))
    ]
    assert mounted == []


def test_a_size_with_too_little_memory_is_reported_out_of_memory(
    function: dict[str, Path], standin_image: str
):
    result = tune(
        function, standin_image, "--memory", "128,256", "--runs", "1", "--cold-starts", "1", "--json",
        event={"allocate_mb": 140},
    )  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    small, large = json.loads(result.stdout)["sizes"]
    assert small["memory_mb"] == 128 and small["status"] == "oom"
    assert small["warm_median_ms"] is None and small["cost_per_invocation"] is None
    assert large["status"] == "ok" and large["max_memory_mb"] > 140
    assert json.loads(result.stdout)["recommendations"]["cost"]["memory_mb"] == 256


def test_the_table_marks_sizes_this_machine_cannot_give_their_cpu(
    function: dict[str, Path], standin_image: str, docker_client: docker.DockerClient
):
    cpus = int(docker_client.info()["NCPU"])
    beyond = int(cpus * 1769) + 200
    result = tune(function, standin_image, "--memory", f"400,{beyond}", "--runs", "1", "--cold-starts", "1")
    assert result.exit_code == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if f"{beyond:,}" in line and "│" in line)
    assert "capped" in line and "≥" in line
    assert f"{beyond:,} MB: capped by this machine" in result.stdout


def test_a_handler_that_does_not_import_shows_its_traceback_and_measures_nothing(
    function: dict[str, Path], standin_image: str
):
    (function["code"] / "app.py").write_text("import helper\nimport not_installed_anywhere\n")
    result = tune(function, standin_image, "--memory", "256")
    assert result.exit_code == 2
    assert "the handler app.handler does not import" in result.stderr
    assert "ModuleNotFoundError: No module named 'not_installed_anywhere'" in result.stderr
    assert "256 MB:" not in result.stderr  # no size was started
    assert result.stdout == ""


def test_a_handler_function_that_does_not_exist_is_an_import_error(
    function: dict[str, Path], standin_image: str
):
    result = CliRunner().invoke(
        app,
        ["tune", "--handler", "app.missing", "--code", str(function["code"]), "--layer", "helper",
         "--layers-dir", str(function["layers"]), "-r", "python3.11", "--base-image", standin_image],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert "AttributeError" in result.stderr and "missing" in result.stderr


def test_without_an_engine_it_says_so_and_stops(function: dict[str, Path], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{function['root']}/no-engine.sock")
    result = tune(function, "layer-builder-standin:bookworm", "--memory", "256")
    assert result.exit_code == 8
    assert "no Docker engine answering" in result.stderr
