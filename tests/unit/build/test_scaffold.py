"""`layer-builder new`: naming modules from RECORD, GPU-only warnings, all-or-nothing writing.

Reading requirements files is tested in tests/unit/requirements.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from builder.build import lock, scaffold
from builder.errors import LockError, RecipeError
from builder.recipe import parse_recipe
from builder.requirements.read import Source


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


class FakeResolver:
    """Pins every requirement at version 1; fails on the target named `fail_on`."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.calls: list[str] = []

    def resolve(self, requirements, target, indexes):
        self.calls.append(target.key)
        if target.key == self.fail_on:
            raise LockError(f"lock: no project named 'pandsa' on the index ({target.key})")
        return [
            lock.LockedPackage(
                name=r.split("=")[0], version="1", sha256="0" * 64, filename="x.whl", requested=True
            )
            for r in requirements
        ]


TARGETS = [("python3.12", "x86_64"), ("python3.12", "arm64")]


@pytest.fixture
def no_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(scaffold, "requested_modules", lambda locked, target, names=None: ["six"])


def source(tmp_path: Path, text: str = "six\n") -> Source:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return Source(path=path)


def test_a_failed_lock_writes_nothing_not_even_the_folder(tmp_path: Path, no_install):
    folder = tmp_path / "recipes"
    with pytest.raises(LockError, match="pandsa"):
        scaffold.new_recipe(
            name="demo",
            source=source(tmp_path),
            folder=folder,
            targets=TARGETS,
            resolver=FakeResolver(fail_on="python3.12-arm64"),
        )
    assert not folder.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]


def test_a_failed_lock_leaves_an_existing_folder_as_it_was(tmp_path: Path, no_install):
    folder = tmp_path / "recipes"
    folder.mkdir()
    (folder / "other.toml").write_text("x")
    with pytest.raises(LockError):
        scaffold.new_recipe(
            name="demo",
            source=source(tmp_path),
            folder=folder,
            targets=TARGETS,
            resolver=FakeResolver(fail_on="python3.12-x86_64"),
        )
    assert sorted(p.name for p in folder.iterdir()) == ["other.toml"]


def test_new_writes_recipe_and_locks_and_force_replaces_them(tmp_path: Path, no_install):
    folder = tmp_path / "recipes"
    made = scaffold.new_recipe(
        name="demo", source=source(tmp_path), folder=folder, targets=TARGETS, resolver=FakeResolver()
    )
    assert made.path == folder / "demo.toml" and parse_recipe(made.path).requirements == ("six",)
    assert sorted(p.name for p in (folder / "locks" / "demo").iterdir()) == [
        "python3.12-arm64.txt",
        "python3.12-x86_64.txt",
    ]
    assert sorted(p.name for p in folder.iterdir()) == ["demo.toml", "locks"]  # no scratch folder left

    with pytest.raises(RecipeError, match="exists already") as caught:
        scaffold.new_recipe(
            name="demo", source=source(tmp_path), folder=folder, targets=TARGETS, resolver=FakeResolver()
        )
    assert "--force" in (caught.value.hint or "")

    scaffold.new_recipe(
        name="demo",
        source=source(tmp_path, "attrs\n"),
        folder=folder,
        targets=TARGETS[:1],
        resolver=FakeResolver(),
        force=True,
    )
    assert parse_recipe(folder / "demo.toml").requirements == ("attrs",)
    # The old recipe's arm64 lock is gone with it: the locks are the new recipe's only.
    assert [p.name for p in (folder / "locks" / "demo").iterdir()] == ["python3.12-x86_64.txt"]
    assert sorted(p.name for p in (folder / "locks").iterdir()) == ["demo"]


def test_a_forced_run_that_fails_keeps_the_old_recipe(tmp_path: Path, no_install):
    folder = tmp_path / "recipes"
    scaffold.new_recipe(
        name="demo", source=source(tmp_path), folder=folder, targets=TARGETS, resolver=FakeResolver()
    )
    before = (folder / "demo.toml").read_text()
    with pytest.raises(LockError):
        scaffold.new_recipe(
            name="demo",
            source=source(tmp_path, "pandsa\n"),
            folder=folder,
            targets=TARGETS,
            resolver=FakeResolver(fail_on="python3.12-arm64"),
            force=True,
        )
    assert (folder / "demo.toml").read_text() == before
    assert len(list((folder / "locks" / "demo").iterdir())) == 2
