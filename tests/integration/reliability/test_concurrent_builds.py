"""Two builds into one output folder at once: the second starts while the first is packaging.

Before, the second build's cleanup removed every .new-* staging folder, including the one the
first was writing its zip into, and the first failed with "check free disk space".
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.fakebackend import ARCH, HOST_PYTHON
from support.paths import REPO

DRIVER = Path(__file__).with_name("fakebuild.py")
# The driver imports the tests' support package, as pytest's pythonpath has it.
DRIVER_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "tests"), os.environ.get("PYTHONPATH")])),
}
TIMEOUT = 300


def start(tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(tmp_path / "layers"), str(tmp_path / "recipes")],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=DRIVER_ENV,
    )


def wait_for_staging(parent: Path, process: subprocess.Popen[bytes]) -> Path:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = [p for p in parent.glob(".*.new-*")] if parent.is_dir() else []
        if found:
            return found[0]
        assert process.poll() is None, "the first build ended before it was seen packaging"
        time.sleep(0.005)
    raise AssertionError("the first build never started packaging")


def test_a_build_started_while_another_packages_leaves_it_alone(tmp_path):
    target = f"python{HOST_PYTHON}-{ARCH}"
    # The recipe and its lock are written once, before the two builds race.
    subprocess.run(
        [sys.executable, str(DRIVER), str(tmp_path / "warmup"), str(tmp_path / "recipes"), "1000"],
        check=True,
        timeout=TIMEOUT,
        capture_output=True,
        env=DRIVER_ENV,
    )
    first = start(tmp_path, "first")
    try:
        staging = wait_for_staging(tmp_path / "layers" / "demo", first)
        second = start(tmp_path, "second")
        try:
            codes = [first.wait(timeout=TIMEOUT), second.wait(timeout=TIMEOUT)]
        finally:
            second.kill()
    finally:
        first.kill()
    logs = {name: (tmp_path / f"{name}.log").read_text() for name in ("first", "second")}
    assert codes == [0, 0], logs
    assert "step package" in logs["second"], logs  # it really built, not answered from the cache
    folder = tmp_path / "layers" / "demo" / target
    manifest = json.loads((folder / "manifest.json").read_text())
    assert hashlib.sha256((folder / "layer.zip").read_bytes()).hexdigest() == manifest["zip"]["sha256"]
    assert sorted(p.name for p in folder.parent.iterdir()) == [target], staging
    assert not any((tmp_path / "layers" / ".work").glob("*")), "no scratch folder left (nor, empty, .work)"


def test_leftovers_of_killed_builds_are_removed_by_the_next_build(tmp_path):
    target = f"python{HOST_PYTHON}-{ARCH}"
    killed = start(tmp_path, "killed")
    try:
        wait_for_staging(tmp_path / "layers" / "demo", killed)
    finally:
        killed.kill()
        killed.wait(timeout=TIMEOUT)
    work = list((tmp_path / "layers" / ".work").iterdir())
    assert work and list((tmp_path / "layers" / "demo").glob(".*.new-*")), "nothing was left to clean"
    assert sum(f.stat().st_size for w in work for f in w.rglob("*") if f.is_file()) > 30_000_000
    again = start(tmp_path, "again")
    assert again.wait(timeout=TIMEOUT) == 0, (tmp_path / "again.log").read_text()
    assert sorted(p.name for p in (tmp_path / "layers" / "demo").iterdir()) == [target]
    assert not any((tmp_path / "layers" / ".work").glob("*")), "no scratch folder left (nor, empty, .work)"


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="flock on folders: Linux")
