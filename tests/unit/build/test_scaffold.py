"""`layer-builder new`: reading requirements files, naming modules from RECORD, GPU-only warnings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from builder.build import lock, scaffold
from builder.errors import RecipeError
from builder.recipe import parse_recipe


def test_requirements_file_comments_blank_lines_and_markers(tmp_path: Path):
    path = tmp_path / "requirements.txt"
    path.write_text("# tools\nnumpy>=2\n\npandas[parquet]  # frames\ntzdata; python_version >= '3.9'\n")
    assert scaffold.read_requirements(path) == (
        "numpy>=2",
        "pandas[parquet]",
        "tzdata; python_version >= '3.9'",
    )


def test_pip_options_and_bad_lines_are_refused_with_the_line(tmp_path: Path):
    path = tmp_path / "requirements.txt"
    path.write_text("numpy\n--index-url https://example.invalid/simple\n")
    with pytest.raises(RecipeError, match=r"requirements.txt:2: pip option '--index-url'"):
        scaffold.read_requirements(path)
    path.write_text("numpy\nnot a requirement!\n")
    with pytest.raises(RecipeError, match=r"requirements.txt:2: not a requirement"):
        scaffold.read_requirements(path)


def test_top_level_modules_from_record():
    record = [
        "dateutil/__init__.py",
        "dateutil/tz/__init__.py",
        "six.py",
        "_cffi_backend.cpython-312-x86_64-linux-gnu.so",
        "google/protobuf/__init__.py",
        "tests/__init__.py",
        "numpy.libs/libopenblas.so",
        "pkg-1.0.dist-info/RECORD",
        "../../bin/tool",
        "__pycache__/six.cpython-312.pyc",
    ]
    assert scaffold.top_level_modules(record) == ["dateutil", "google.protobuf", "six"]
    # Only a private extension module: import it rather than nothing.
    assert scaffold.top_level_modules(["_cffi_backend.cpython-312-x86_64-linux-gnu.so"]) == ["_cffi_backend"]


def test_written_recipe_parses_with_its_values(tmp_path: Path):
    path = tmp_path / "demo.toml"
    path.write_text(
        scaffold.recipe_text(
            requirements=["python-dateutil>=2.8", "six"],
            runtimes=["python3.12"],
            architectures=["x86_64"],
            imports=["dateutil", "six"],
            source="requirements.txt",
        )
    )
    recipe = parse_recipe(path)
    assert recipe.requirements == ("python-dateutil>=2.8", "six")
    assert recipe.smoke.imports == ("dateutil", "six") and recipe.headroom_bytes == 50_000_000


def test_default_runtimes_leave_out_the_deprecated():
    chosen = scaffold.default_runtimes(dt.date(2026, 11, 26))
    assert "python3.12" in chosen and "python3.11" not in chosen and "python3.10" not in chosen


def locked(*names: str, requested: str = "") -> lock.Lock:
    packages = tuple(
        lock.LockedPackage(
            name=n, version="1", sha256="0" * 64, filename=f"{n}.whl", requested=n == requested
        )
        for n in names
    )
    return lock.Lock(target_key="python3.12-x86_64", recipe_fingerprint="sha256:x", packages=packages)


def test_gpu_only_distributions_are_named_with_the_cpu_variant():
    warning = lock.gpu_warning(
        locked("xgboost", "nvidia-nccl-cu12", "numpy", requested="xgboost"), lock.cpu_variants()
    )
    assert warning is not None
    assert "nvidia-nccl-cu12" in warning and "Lambda has no GPU" in warning
    assert "use xgboost-cpu instead of xgboost" in warning


def test_gpu_warning_without_a_known_variant_and_none_without_gpu_packages():
    unknown = lock.gpu_warning(locked("somegpu", "nvidia-cublas-cu12"), lock.cpu_variants())
    assert unknown is not None and "find the CPU-only build" in unknown
    assert lock.gpu_warning(locked("numpy", "scipy"), lock.cpu_variants()) is None
