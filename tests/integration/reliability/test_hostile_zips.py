"""`check` and `inspect` on zips made to hurt the reader: a 1 GB RECORD, a 1 GB bomb, entries named
../x and /x, a symlink out of the tree. The CLI runs in a child process so its peak memory can be
measured; nothing may be written outside its scratch folder."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from builder.inspect import bounds

GB = 1 << 30
CHUNK = 1 << 20
PEAK_RSS_LIMIT = 400 * 1024 * 1024  # the CLI with boto3 and rich loaded is about 100 MB
# Runs the CLI as its own child and reports that child's peak RSS (RUSAGE_CHILDREN of this
# wrapper, so earlier children of the test process do not count).
MEASURE = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=600)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr, "peak": peak}))
"""


def stream(archive: zipfile.ZipFile, name: str, row: bytes, size: int, level: int) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    archive.compresslevel = level
    chunk = (row * (CHUNK // len(row) + 1))[:CHUNK]
    with archive.open(info, "w", force_zip64=True) as out:
        for _ in range(size // CHUNK):
            out.write(chunk)


def small_package(archive: zipfile.ZipFile) -> None:
    archive.writestr("python/demo/__init__.py", "ANSWER = 42\n")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile")
    made: dict[str, Path] = {}
    with zipfile.ZipFile(root / "record.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        small_package(archive)
        row = b"demo/module.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,1234\n"
        stream(archive, "python/demo-1.0.dist-info/RECORD", row, GB, level=1)
    made["record"] = root / "record.zip"
    with zipfile.ZipFile(root / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        small_package(archive)
        stream(archive, "python/demo/data.bin", b"\0", GB, level=9)
    made["bomb"] = root / "bomb.zip"
    with zipfile.ZipFile(root / "paths.zip", "w") as archive:
        small_package(archive)
        archive.writestr("../../escaped-traversal.py", "print('out')\n")
        archive.writestr("python/../../escaped-nested.py", "print('out')\n")
        archive.writestr("/tmp/escaped-absolute.py", "print('out')\n")
    made["paths"] = root / "paths.zip"
    with zipfile.ZipFile(root / "symlink.zip", "w") as archive:
        small_package(archive)
        link = zipfile.ZipInfo("python/demo/passwd")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "../../../../../../etc/passwd")
        inside = zipfile.ZipInfo("python/demo/alias.py")
        inside.create_system = 3
        inside.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(inside, "__init__.py")  # a symlink inside the tree is fine
    made["symlink"] = root / "symlink.zip"
    with zipfile.ZipFile(root / "elf.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        small_package(archive)
        stream(archive, "python/demo/_huge.so", b"\x7fELF" + b"\0" * 60, GB, level=9)
    made["elf"] = root / "elf.zip"
    return made


def run_cli(tmp_path: Path, *args: str) -> dict[str, object]:
    scratch, cwd = tmp_path / "tmp", tmp_path / "cwd"
    tmp_path.mkdir(exist_ok=True)
    scratch.mkdir(exist_ok=True)
    cwd.mkdir(exist_ok=True)
    env = {**os.environ, "TMPDIR": str(scratch)}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, sys.executable, "-m", "builder", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
        env=env,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    # Nothing written outside the scratch folder, and the scratch folder removed afterwards.
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cwd", "tmp"], list(tmp_path.rglob("*"))
    return result


CASES = {
    "record": ("oversized", "python/demo-1.0.dist-info/RECORD"),
    "bomb": ("bomb", "python/demo/data.bin"),
    "paths": ("traversal", "../../escaped-traversal.py"),
    "symlink": ("symlink", "python/demo/passwd"),
}


WHY = {str(key): text for key, text in bounds.WHY.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_fails_with_its_exit_code_in_bounded_memory(hostile, tmp_path, case):
    kind, path = CASES[case]
    result = run_cli(tmp_path, "check", str(hostile[case]), "--runtime", "python3.12", "--json")
    assert result["code"] == 11, result
    plan = json.loads(str(result["stdout"]))
    assert plan["works"] is False
    assert any(f"unsafe entry {path!r}" in p and WHY[kind] in p for p in plan["problems"]), plan
    assert "Traceback" not in str(result["stderr"])
    assert int(str(result["peak"])) < PEAK_RSS_LIMIT, result["peak"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_inspect_reports_the_entry_and_does_not_extract(hostile, tmp_path, case):
    kind, path = CASES[case]
    args = ("inspect", str(hostile[case]), "--runtime", "python3.12", "--import", "demo", "--json")
    result = run_cli(tmp_path, *args)
    assert result["code"] == 0, result
    report = json.loads(str(result["stdout"]))
    assert {"path": path, "kind": kind} in [{"path": h["path"], "kind": h["kind"]} for h in report["hazards"]]
    assert "it is not extracted to time imports" in json.dumps(report), report
    names = {p["name"] for p in report["packages"]}
    assert not names & {"..", "/", ""}, names
    assert int(str(result["peak"])) < PEAK_RSS_LIMIT, result["peak"]


def test_a_layer_far_over_the_limit_is_not_extracted_and_says_why(tmp_path):
    zip_path = tmp_path / "zips" / "big.zip"
    zip_path.parent.mkdir()
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        small_package(archive)
        for index in range(5):  # 5 x 100 MB: each fits the limit, so none is a bomb; together 200%
            stream(archive, f"python/demo/part{index}.bin", bytes(range(64)) * 3, 100 * CHUNK, level=1)
    report = json.loads(
        str(
            run_cli(
                tmp_path / "run", "inspect", str(zip_path), "-r", "python3.12", "--import", "demo", "--json"
            )["stdout"]
        )
    )
    assert report["hazards"] == []
    reason = json.dumps(report)
    assert "% of Lambda's 262,144,000-byte limit: it is not extracted to time imports" in reason


def test_a_huge_file_named_like_a_library_is_not_copied_out(hostile, tmp_path):
    result = run_cli(tmp_path, "check", str(hostile["elf"]), "--runtime", "python3.12", "--json")
    plan = json.loads(str(result["stdout"]))
    assert result["code"] == 11 and "unzip to" in plan["problems"][-1], plan  # over the size limit
    assert int(str(result["peak"])) < PEAK_RSS_LIMIT


def test_extract_writes_only_regular_files_under_the_root(hostile, tmp_path):
    root = tmp_path / "scratch" / "opt"
    for case in ("paths", "symlink"):
        with zipfile.ZipFile(hostile[case]) as archive:
            bounds.extract(archive, root)
    written = sorted(
        str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() or p.is_symlink()
    )
    assert written == ["scratch/opt/python/demo/__init__.py"], written
