"""`build --unpack-to`: the folder it needs, and exactly the zip's files in it (nothing on failure)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from builder.build import unpack
from builder.errors import ConfigError


def layer_zip(path: Path, entries: dict[str, bytes], mode: int = 0o644) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data)
    return path


@pytest.mark.parametrize(
    ("value", "targets", "dry_run", "message"),
    [
        ("", 1, False, "ARTIFACTS_DIR is not set"),
        ("  ", 1, False, "outside `sam build`"),
        ("out", 2, False, "exactly one target"),
        ("out", 0, False, "exactly one target"),
        ("out", 1, True, "--dry-run"),
    ],
)
def test_refusals(tmp_path, monkeypatch, value, targets, dry_run, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message) as caught:
        unpack.destination(value, targets, dry_run)
    assert caught.value.exit_code == 2


def test_a_folder_with_files_is_refused_an_empty_or_missing_one_taken(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "stale.py").write_text("")
    with pytest.raises(ConfigError, match="not an empty folder"):
        unpack.destination(str(tmp_path / "full"), 1, False)
    (tmp_path / "empty").mkdir()
    assert unpack.destination(str(tmp_path / "empty"), 1, False) == tmp_path / "empty"
    assert unpack.destination(str(tmp_path / "new"), 1, False) == tmp_path / "new"
    assert unpack.destination(None, 3, True) is None


def test_exactly_the_zips_files_with_their_modes(tmp_path):
    source = layer_zip(
        tmp_path / "layer.zip", {"python/a/__init__.py": b"A = 1\n", "bin/tool": b"#!/bin/sh\n"}
    )
    with zipfile.ZipFile(source, "a") as archive:
        info = zipfile.ZipInfo("bin/run")
        info.external_attr = (0o100000 | 0o755) << 16
        archive.writestr(info, b"x")
    names = unpack.unpack(source, tmp_path / "out")
    files = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
    assert files == sorted(names) == ["bin/run", "bin/tool", "python/a/__init__.py"]
    assert (tmp_path / "out" / "python" / "a" / "__init__.py").read_bytes() == b"A = 1\n"
    assert (tmp_path / "out" / "bin" / "run").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "out" / "bin" / "tool").stat().st_mode & 0o777 == 0o644


def test_an_entry_outside_the_folder_leaves_it_empty(tmp_path):
    source = layer_zip(tmp_path / "evil.zip", {"python/ok.py": b"", "../escape.py": b""})
    (tmp_path / "out").mkdir()
    with pytest.raises(ValueError, match="outside the folder"):
        unpack.unpack(source, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    assert not (tmp_path / "escape.py").exists()
