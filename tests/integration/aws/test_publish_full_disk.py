"""A publish whose published.json cannot be written (a full disk: a small tmpfs, where the machine
allows mounting one) prints the ARN it made, then one error line with a hint, exit 12."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import fulldisk, layerfiles

pytestmark = pytest.mark.aws


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    with fulldisk.tmpfs(tmp_path) as mount:
        yield mount


def test_publish_prints_the_arn_when_published_json_cannot_be_written(full_disk, cli, seed):
    layers = full_disk / "layers"
    folder = layerfiles.write_layer(layers)
    fulldisk.fill(full_disk)
    result = cli(
        "publish", "demo", "--layers-dir", str(layers), "--recipes", str(layers), "--region", "us-east-1"
    )
    assert result.exit_code == 12, result.stdout + result.stderr
    assert "arn:aws:lambda:us-east-1:123456789012:layer:demo-py312-x86_64:1" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors == [
        f"error: could not record the published ARNs in {folder / 'published.json'}: No space left on device"
    ], result.stderr
    assert "disk is full" in result.stderr and "Traceback" not in result.stderr
    assert not (folder / "published.json").exists() and not list(folder.glob(".published.json.*"))
    report = cli(
        "publish",
        "demo",
        "--layers-dir",
        str(layers),
        "--recipes",
        str(layers),
        "--region",
        "us-east-1",
        "--json",
    )
    assert (
        report.exit_code == 12
        and json.loads(report.stdout)["regions"][0]["layers"][0]["status"] == "unchanged"
    )
