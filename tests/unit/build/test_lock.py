"""Lock files: render/parse round trip and freshness, with an in-memory resolver (no network)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from builder.build import lock
from builder.errors import LockError
from builder.manifest import PackageIndexes
from builder.recipe import parse_recipe
from builder.runtimes import Target, get_target

RECIPE = """
[layer]
requirements = ["numpy", "pandas"]
runtimes = ["python3.11", "python3.12"]
architectures = ["x86_64"]
"""


class FakeResolver:
    def __init__(self) -> None:
        self.calls: list[tuple[tuple[str, ...], str]] = []

    def resolve(
        self, requirements: Sequence[str], target: Target, indexes: PackageIndexes
    ) -> list[lock.LockedPackage]:
        self.calls.append((tuple(requirements), target.key))
        return [
            lock.LockedPackage(
                name="numpy",
                version="2.2.6",
                sha256="a" * 64,
                filename="numpy-2.2.6-cp311.whl",
                requested=True,
            ),
            lock.LockedPackage(
                name="tzdata", version="2026.6", sha256="b" * 64, filename="tzdata.whl", requested=False
            ),
        ]


def test_create_writes_a_lock_that_reads_back(write_recipe):
    recipe = parse_recipe(write_recipe(RECIPE))
    target = get_target("python3.11", "x86_64")
    resolver = FakeResolver()
    created, path = lock.create(recipe, target, resolver)
    assert resolver.calls == [(("numpy", "pandas"), "python3.11-x86_64")]
    assert path == recipe.path.parent / "locks" / "demo" / "python3.11-x86_64.txt"
    loaded, _ = lock.load_fresh(recipe, target)
    assert loaded == created
    assert loaded.pins() == {"numpy": "2.2.6", "tzdata": "2026.6"}
    text = path.read_text()
    assert "numpy==2.2.6 \\\n    --hash=sha256:" + "a" * 64 in text
    assert "layer-builder lock demo --runtime python3.11 --arch x86_64" in text


def test_missing_lock_says_which_command_creates_it(write_recipe):
    recipe = parse_recipe(write_recipe(RECIPE))
    with pytest.raises(LockError) as caught:
        lock.load_fresh(recipe, get_target("python3.12", "x86_64"))
    assert "no lock for demo on python3.12-x86_64" in caught.value.message
    assert caught.value.hint == "create it with `layer-builder lock demo --runtime python3.12 --arch x86_64`"


def test_lock_older_than_recipe_is_refused(write_recipe):
    path = write_recipe(RECIPE)
    target = get_target("python3.11", "x86_64")
    lock.create(parse_recipe(path), target, FakeResolver())
    path.write_text(RECIPE.replace('"pandas"', '"pandas", "scipy"'))
    with pytest.raises(LockError, match="older than the recipe") as caught:
        lock.load_fresh(parse_recipe(path), target)
    assert "layer-builder lock demo --runtime python3.11 --arch x86_64" in (caught.value.hint or "")


def test_lock_for_another_target_is_refused(write_recipe):
    recipe = parse_recipe(write_recipe(RECIPE))
    _, path = lock.create(recipe, get_target("python3.11", "x86_64"), FakeResolver())
    other = recipe.lock_path("python3.12-x86_64")
    other.write_text(path.read_text())
    with pytest.raises(LockError, match=r"is for python3\.11-x86_64, not python3\.12-x86_64"):
        lock.load_fresh(recipe, get_target("python3.12", "x86_64"))


def test_entry_without_hash_is_refused(tmp_path):
    text = "# recipe-fingerprint: sha256:x\n# target: python3.12-x86_64 (...)\nnumpy==2.5.5\n"
    with pytest.raises(LockError, match="numpy has no sha256 hash"):
        lock.parse(text, source=tmp_path / "x.txt")


def test_hand_written_requirements_file_is_not_a_lock(tmp_path):
    with pytest.raises(LockError, match="not a layer-builder lock"):
        lock.parse("numpy==2.5.5\n", source=tmp_path / "x.txt")


def test_failed_resolver_leaves_no_lock(write_recipe):
    class Failing:
        def resolve(
            self, requirements: Sequence[str], target: Target, indexes: PackageIndexes
        ) -> list[lock.LockedPackage]:
            raise LockError("lock: no wheel")

    recipe = parse_recipe(write_recipe(RECIPE))
    with pytest.raises(LockError):
        lock.create(recipe, get_target("python3.11", "x86_64"), Failing())
    assert not recipe.lock_path("python3.11-x86_64").exists()
