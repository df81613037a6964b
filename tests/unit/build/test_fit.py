"""Fitting a layer: the estimate, the levers, auto's choice of packages, the sweep's module list,
the recipe's package indexes as pip flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.build import bytecode, fit, lock, minimizer, pipcmd, sourcefit, sweep
from builder.errors import RecipeError
from builder.manifest import PackageIndexes
from builder.recipe import parse_recipe

MB = 1_000_000
LIMIT = 262_144_000


def _decision(
    path: str, size: int, action: minimizer.Action = "keep", dist: str = "big"
) -> minimizer.Decision:
    return minimizer.Decision(path=path, action=action, rule="default", size=size, distribution=dist)


def test_the_estimate_counts_what_the_plan_keeps_and_its_sources():
    plan = minimizer.Plan(
        decisions=(
            _decision("big/core.so", 100 * MB),
            _decision("big/api.py", 20 * MB),
            _decision("big/tests/test_api.py", 5 * MB, action="remove"),
            _decision("small/x.py", 1 * MB, dist="small"),
        )
    )
    found = fit.estimate(plan, strip_bound=4 * MB, stage="the plan")
    assert found.kept_bytes == 121 * MB and found.source_bytes == 21 * MB
    assert [p.name for p in found.packages] == ["big", "small"]
    assert found.smallest == 117 * MB  # a lower bound: bytecode at least as large as its source
    assert found.with_sources() > found.sourceless() > found.smallest


def _levers(size: int, headroom: int, gpu: bool = False) -> fit.Levers:
    packages = (
        fit.PackageShare(name="torch", kept_bytes=size - 10 * MB, source_bytes=30 * MB),
        fit.PackageShare(name="nvidia-cudnn-cu12", kept_bytes=10 * MB, source_bytes=0),
    )
    locked = lock.Lock(
        target_key="python3.12-x86_64",
        recipe_fingerprint="",
        packages=tuple(
            lock.LockedPackage(name=name, version="1", sha256="0" * 64, filename="", requested=True)
            for name in (["torch", "nvidia-cudnn-cu12"] if gpu else ["torch"])
        ),
    )
    return fit.levers(
        size=size,
        what="",
        limit=LIMIT,
        headroom=headroom,
        sources_left=30 * MB,
        packages=packages,
        locked=locked,
    )


def test_a_layer_that_fits_with_less_headroom_says_the_number():
    error = fit.too_large("size", _levers(230 * MB, 50 * MB))
    assert error.exit_code == 6
    assert "it fits only with headroom_mb = 32 or less (the recipe has 50)" in error.message
    assert 'bytecode = "sourceless": saves 30.0 MB' in error.message
    assert error.hint is not None and "lower headroom_mb to 32" in error.hint
    assert "does not help" in error.hint and "split the recipe" not in error.hint


def test_a_layer_over_the_limit_itself_names_the_gpu_packages_and_their_cpu_variants():
    error = fit.too_large("fit", _levers(4_700 * MB, 50 * MB, gpu=True))
    assert "whatever the headroom" in error.message
    assert "no value helps" in error.message
    assert "GPU-only distributions (nvidia-cudnn-cu12): 10.0 MB" in error.message
    assert "instead of torch" in error.message
    assert error.hint is not None and "CPU-only" in error.hint and "lower headroom_mb" not in error.hint


def test_auto_drops_the_largest_sources_first_and_stops_when_it_fits():
    sources = {"pandas": 24 * MB, "scipy": 21 * MB, "numpy": 8 * MB, "tiny": 0}
    assert sourcefit.choose(sources, 0) == []
    assert sourcefit.choose(sources, 5 * MB) == ["pandas"]
    assert sourcefit.choose(sources, 30 * MB) == ["pandas", "scipy"]
    assert sourcefit.choose(sources, 500 * MB) == ["pandas", "scipy", "numpy"]


def test_make_sourceless_moves_the_bytecode_where_python_imports_it_without_source(tmp_path: Path):
    package = tmp_path / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "mod.py").write_text("X = 1\n")
    (package / "__pycache__" / "mod.cpython-312.pyc").write_bytes(b"pyc")
    (package / "broken.py").write_text("def (:\n")  # the target could not compile it: stays
    dropped = bytecode.make_sourceless(tmp_path, ["pkg/mod.py", "pkg/broken.py"])
    assert dropped == len("X = 1\n")
    assert (package / "mod.pyc").read_bytes() == b"pyc" and not (package / "mod.py").exists()
    assert (package / "broken.py").exists()
    assert not (package / "__pycache__").exists()


def test_the_sweep_lists_modules_from_the_files_not_by_importing():
    files = [
        "pkg/__init__.py",
        "pkg/a.py",
        "pkg/sub/__init__.py",
        "pkg/sub/b.py",
        "pkg/_fast.cpython-312-x86_64-linux-gnu.so",
        "pkg/tests/__init__.py",
        "pkg/tests/test_a.py",
        "pkg/loose/c.py",  # no __init__.py: not a package
        "pkg/conftest.py",
        "six.py",
        "pkg-1.0.dist-info/METADATA",
        "bin/tool",
    ]
    assert sweep.module_names(files) == ["pkg", "pkg._fast", "pkg.a", "pkg.sub", "pkg.sub.b", "six"]


def test_the_sweep_batches_keep_a_package_together_where_it_fits():
    names = [f"big.m{i}" for i in range(5)] + ["small.a", "small.b", "one"]
    assert sweep.batches(names, size=4) == [
        ["big.m0", "big.m1", "big.m2", "big.m3"],
        ["big.m4", "small.a", "small.b", "one"],
    ]


def test_a_recipe_names_its_package_indexes_used_as_pip_flags(tmp_path: Path):
    (tmp_path / "wheels").mkdir()
    path = tmp_path / "cpu.toml"
    path.write_text(
        '[layer]\nrequirements = ["torch"]\nindex_url = "https://download.pytorch.org/whl/cpu"\n'
        'extra_index_urls = ["https://pypi.org/simple"]\nfind_links = ["wheels"]\n'
    )
    recipe = parse_recipe(path)
    assert recipe.indexes == PackageIndexes(
        index_url="https://download.pytorch.org/whl/cpu",
        extra_index_urls=("https://pypi.org/simple",),
        find_links=(str((tmp_path / "wheels").resolve()),),
    )
    argv = pipcmd.install_lock(
        tmp_path / "lock.txt", site=tmp_path / "site", target=None, indexes=recipe.indexes
    )
    assert argv[argv.index("--index-url") + 1] == "https://download.pytorch.org/whl/cpu"
    assert argv[argv.index("--extra-index-url") + 1] == "https://pypi.org/simple"
    assert argv[argv.index("--find-links") + 1] == str((tmp_path / "wheels").resolve())
    resolve = pipcmd.resolve(["torch"], report=tmp_path / "r.json", target=None, indexes=recipe.indexes)
    assert "--index-url" in resolve
    plain = path.with_name("plain.toml")
    plain.write_text('[layer]\nrequirements = ["torch"]\n')
    assert recipe.lock_fingerprint() != parse_recipe(plain).lock_fingerprint()
    assert "--index-url" not in pipcmd.resolve(["torch"], report=tmp_path / "r.json", target=None)


def test_a_find_links_folder_that_does_not_exist_is_a_recipe_error(tmp_path: Path):
    path = tmp_path / "cpu.toml"
    path.write_text('[layer]\nrequirements = ["torch"]\nfind_links = ["nowhere"]\n')
    with pytest.raises(RecipeError, match="find_links"):
        parse_recipe(path)
