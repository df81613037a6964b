"""Deterministic zips and atomic output folders."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from builder.build import package


def make_tree(root: Path, order: list[str]) -> None:
    for name in order:
        path = root / "python" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}\n" * 50)
    script = root / "python" / "bin" / "tool"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text("#!/bin/sh\n")
    script.chmod(0o775)


def test_same_tree_gives_byte_identical_zip_whatever_the_order_and_mtimes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    make_tree(first, ["z.py", "a/b.py", "m.py"])
    make_tree(second, ["m.py", "z.py", "a/b.py"])
    for path in second.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    (second / "python" / "m.py").chmod(0o600)  # private on disk, readable in the layer
    one = package.write_zip(first, tmp_path / "one.zip")
    two = package.write_zip(second, tmp_path / "two.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    assert one == two
    assert one.file_count == 4


def test_zip_entries_are_sorted_with_fixed_time_and_normalised_modes(tmp_path):
    make_tree(tmp_path / "t", ["z.py", "a/b.py"])
    facts = package.write_zip(tmp_path / "t", tmp_path / "l.zip")
    with zipfile.ZipFile(tmp_path / "l.zip") as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names) == ["python/a/b.py", "python/bin/tool", "python/z.py"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        assert modes == {"python/a/b.py": 0o644, "python/bin/tool": 0o755, "python/z.py": 0o644}
        assert facts.unzipped_bytes == sum(i.file_size for i in infos)


def test_code_sha256_is_base64_of_the_zip_digest(tmp_path):
    import base64
    import hashlib

    make_tree(tmp_path / "t", ["a.py"])
    facts = package.write_zip(tmp_path / "t", tmp_path / "l.zip")
    digest = hashlib.sha256((tmp_path / "l.zip").read_bytes()).digest()
    assert facts.code_sha256 == base64.b64encode(digest).decode()
    assert facts.sha256 == digest.hex()


def test_atomic_dir_replaces_only_on_success(tmp_path):
    final = tmp_path / "out" / "python3.12-x86_64"
    with package.atomic_dir(final) as staging:
        (staging / "layer.zip").write_text("good")
    assert (final / "layer.zip").read_text() == "good"
    with pytest.raises(RuntimeError), package.atomic_dir(final) as staging:
        (staging / "layer.zip").write_text("half")
        raise RuntimeError("interrupted")
    assert (final / "layer.zip").read_text() == "good"
    assert sorted(p.name for p in final.parent.iterdir()) == ["python3.12-x86_64"]
    assert oct(final.stat().st_mode & 0o777) == oct(0o755)


def test_leftovers_of_a_killed_build_are_cleared_and_a_good_layer_restored(tmp_path):
    parent = tmp_path / "out"
    (parent / ".t.new-abc").mkdir(parents=True)
    (parent / ".t.old-123").mkdir()
    (parent / ".t.old-123" / "layer.zip").write_text("good")
    package.clear_leftovers(parent, "t")
    assert sorted(p.name for p in parent.iterdir()) == ["t"]
    assert (parent / "t" / "layer.zip").read_text() == "good"


def test_a_new_output_keeps_the_publish_record_only_for_the_same_zip(tmp_path):
    from builder import zips

    final = tmp_path / "out"
    make_tree(tmp_path / "t", ["a.py"])
    with package.atomic_dir(final) as out:
        package.write_zip(tmp_path / "t", out / "layer.zip")
    same = json.dumps({"code_sha256": zips.code_sha256(final / "layer.zip")})
    (final / "published.json").write_text(same)
    with package.atomic_dir(final) as out:
        package.write_zip(tmp_path / "t", out / "layer.zip")
    assert (final / "published.json").read_text() == same
    (tmp_path / "t" / "python" / "a.py").write_text("changed\n")
    with package.atomic_dir(final) as out:
        package.write_zip(tmp_path / "t", out / "layer.zip")
    assert not (final / "published.json").exists()
