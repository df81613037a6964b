"""A publish whose published.json cannot be written (a full disk: a small tmpfs, where the machine
allows mounting one) prints the ARN it made, then one error line with a hint, exit 12."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import layerfiles

pytestmark = pytest.mark.aws


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / f"tmpfs-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, timeout=30)


def fill(folder: Path) -> None:
    """Write until the file system is full."""
    try:
        with (folder / "filler").open("wb") as out:
            while True:
                out.write(b"\0" * 4096)
                out.flush()
    except OSError:
        pass


def test_publish_prints_the_arn_when_published_json_cannot_be_written(full_disk, cli, seed):
    layers = full_disk / "layers"
    folder = layerfiles.write_layer(layers)
    fill(full_disk)
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
