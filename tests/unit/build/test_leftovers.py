"""Scratch folders are removed only when the build that made them is gone."""

from __future__ import annotations

import os
import subprocess
import sys

from builder.build import leftovers

HOLD = """
import sys
from pathlib import Path
from builder.build import leftovers
with leftovers.owned_dir(Path(sys.argv[1]), sys.argv[2]) as path:
    print(path.name, flush=True)
    sys.stdin.read()
"""


def test_a_folder_whose_owner_runs_stays_and_goes_once_the_owner_is_gone(tmp_path):
    owner = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path), ".t.new-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert owner.stdout is not None
        name = owner.stdout.readline().decode().strip()
        assert name.startswith(f".t.new-{owner.pid}-")
        leftovers.clear_target(tmp_path, "t")
        assert (tmp_path / name).is_dir()
    finally:
        owner.communicate(timeout=30)
    leftovers.clear_target(tmp_path, "t")
    assert not (tmp_path / name).exists()


def test_work_folders_of_dead_builds_go_kept_and_running_ones_stay(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    (tmp_path / f"{int(dead.stdout)}-abc").mkdir()
    (tmp_path / f"{int(dead.stdout)}-abc" / "site").mkdir()
    (tmp_path / "kept-123-abc").mkdir()
    with leftovers.owned_dir(tmp_path, "") as mine:
        assert mine.name.startswith(f"{os.getpid()}-")
        leftovers.clear_work(tmp_path)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["kept-123-abc", mine.name])
        assert leftovers.keep(mine).name == f"kept-{mine.name}"


def test_an_unlocked_folder_of_a_running_pid_stays_for_the_grace_period(tmp_path):
    # Made this instant by a build that has not locked it yet (or a reused PID, after the grace).
    fresh = tmp_path / f".t.new-{os.getpid()}-abc"
    fresh.mkdir()
    assert not leftovers.remove_if_abandoned(fresh, ".t.new-")
    old = leftovers.GRACE_SECONDS + 5
    os.utime(fresh, (fresh.stat().st_atime - old, fresh.stat().st_mtime - old))
    assert leftovers.remove_if_abandoned(fresh, ".t.new-") and not fresh.exists()
