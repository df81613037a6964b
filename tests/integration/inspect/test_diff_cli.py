"""`layer-builder diff`: what changed between two builds, and what each change costs."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def sizes(path: Path, *prefixes: str) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(i.file_size for i in archive.infolist() if i.filename.startswith(prefixes))


def test_added_removed_changed_and_resized_packages_with_their_bytes(
    cli: Any, zips: ModuleType, tmp_path: Path
):
    old = zips.write_zip(
        tmp_path / "old.zip",
        zips.dist("numpy", "1.26.4", {"numpy/__init__.py": 1000}),
        zips.dist("six", "1.16.0", {"six.py": 300}),
        zips.dist("tzdata", "2024.1", {"tzdata/zones": 500}),
    )
    new = zips.write_zip(
        tmp_path / "new.zip",
        zips.dist("numpy", "2.0.0", {"numpy/__init__.py": 1500}),
        zips.dist("tzdata", "2024.1", {"tzdata/zones": 700}),
        zips.dist("attrs", "25.1.0", {"attr/__init__.py": 80}),
    )
    result = cli.json("diff", old, new, "--no-import-time")
    changes = {c["package"]: c for c in result["changes"]}
    assert set(changes) == {"numpy", "six", "tzdata", "attrs"}
    assert (changes["numpy"]["kind"], changes["numpy"]["old_version"], changes["numpy"]["new_version"]) == (
        "version",
        "1.26.4",
        "2.0.0",
    )
    assert changes["numpy"]["bytes_delta"] == sizes(new, "python/numpy") - sizes(old, "python/numpy")
    assert changes["six"]["kind"] == "removed"
    assert changes["six"]["bytes_delta"] == -sizes(old, "python/six")
    assert changes["attrs"]["kind"] == "added"
    assert changes["attrs"]["bytes_delta"] == sizes(new, "python/attr")
    assert (changes["tzdata"]["kind"], changes["tzdata"]["bytes_delta"]) == ("size", 200)
    assert result["bytes_delta"] == sizes(new, "") - sizes(old, "")
    assert result["import_us_delta"] is None
    assert result["changes"][0]["package"] == "numpy"  # the biggest change first
    text = cli("diff", old, new, "--no-import-time").stdout
    assert "import time: not compared" in text
    assert "numpy" in text and "1.26.4" in text and "2.0.0" in text and "removed" in text


def test_identical_builds_have_no_changes(cli: Any, zips: ModuleType, tmp_path: Path):
    parts = zips.dist("numpy", "2.0.0", {"numpy/__init__.py": 1500})
    old = zips.write_zip(tmp_path / "a.zip", parts)
    new = zips.write_zip(tmp_path / "b.zip", parts)
    result = cli("diff", old, new, "--no-import-time")
    assert result.exit_code == 0
    assert "no package changed" in result.stdout


def test_built_layers_are_compared_with_import_times(cli: Any, zips: ModuleType, tmp_path: Path):
    slow = {"demo/__init__.py": b"import json, decimal\n"}
    fast = {"demo/__init__.py": b"VALUE = 1\n"}
    old = zips.built_layer(
        tmp_path / "old", "demo", RUNTIME, "x86_64", zips.dist("demo", "1.0", slow), imports=("demo",)
    )
    new = zips.built_layer(
        tmp_path / "new", "demo", RUNTIME, "x86_64", zips.dist("demo", "1.1", fast), imports=("demo",)
    )
    result = cli.json("diff", old / "manifest.json", new, "--python", sys.executable, "--runs", "1")
    assert isinstance(result["import_us_delta"], int), result["import_note"]
    (demo,) = result["changes"]
    assert (demo["package"], demo["kind"]) == ("demo", "version")
    assert isinstance(demo["import_us_delta"], int)


def test_import_time_compares_the_smoke_imports_both_layers_share(cli: Any, zips: ModuleType, tmp_path: Path):
    demo = zips.dist("demo", "1.0", {"demo/__init__.py": b"VALUE = 1\n"})
    heavy = zips.dist("heavy", "1.0", {"heavy/__init__.py": b"import decimal, email.message, json\n"})
    old = zips.built_layer(tmp_path / "old", "demo", RUNTIME, "x86_64", demo, imports=("demo",))
    new = zips.built_layer(
        tmp_path / "new", "demo", RUNTIME, "x86_64", demo, heavy, imports=("demo", "heavy")
    )
    args = ("diff", old, new, "--python", sys.executable, "--runs", "1")
    result = cli.json(*args)
    assert result["imports"] == ["demo"], result["import_note"]
    assert isinstance(result["import_us_delta"], int)
    (added,) = result["changes"]
    assert (added["package"], added["kind"]) == ("heavy", "added")
    assert added["import_us_delta"] == 0, "heavy is imported by the new smoke test only: not timed"
    assert "import time of demo (timed in both)" in cli(*args).stdout

    other = zips.built_layer(tmp_path / "other", "demo", RUNTIME, "x86_64", heavy, imports=("heavy",))
    apart = cli.json("diff", old, other, "--python", sys.executable, "--runs", "1")
    assert apart["import_us_delta"] is None
    assert "share no smoke import (old: demo; new: heavy)" in apart["import_note"]
    chosen = cli.json("diff", old, other, "--python", sys.executable, "--runs", "1", "--import", "json")
    assert chosen["imports"] == ["json"] and isinstance(chosen["import_us_delta"], int)
