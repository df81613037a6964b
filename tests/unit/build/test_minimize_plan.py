"""The minimize planner: pure decisions over a file listing."""

from __future__ import annotations

from builder.build import minimizer
from builder.manifest import PackageTotal, RuleTotal
from builder.recipe import MinimizeConfig, PackageRules


def entry(path: str, size: int = 100, dist: str = "numpy", elf: bool = False) -> minimizer.FileEntry:
    return minimizer.FileEntry(path=path, size=size, distribution=dist, is_elf=elf)


DEFAULT = MinimizeConfig()


def decide(files, config=DEFAULT, requested=frozenset({"numpy"}), strip=True):
    plan = minimizer.plan(
        files, rules=minimizer.default_rules(), config=config, requested=requested, strip_available=strip
    )
    return {d.path: (d.action, d.rule) for d in plan.decisions}, plan


def test_tests_sources_stubs_and_host_bytecode_are_removed():
    decisions, _ = decide(
        [
            entry("numpy/linalg/tests/test_linalg.py"),
            entry("pandas/tests/frame/test_api.py", dist="pandas"),
            entry("numpy/_core/include/numpy/ndarraytypes.h"),
            entry("scipy/special/_ufuncs.pyx", dist="scipy"),
            entry("numpy/__init__.pyi"),
            entry("numpy/__pycache__/__init__.cpython-311.pyc"),
            entry("bin/f2py"),
        ]
    )
    assert decisions["numpy/linalg/tests/test_linalg.py"] == ("remove", "tests")
    assert decisions["pandas/tests/frame/test_api.py"] == ("remove", "tests")
    assert decisions["numpy/_core/include/numpy/ndarraytypes.h"] == ("remove", "sources")
    assert decisions["scipy/special/_ufuncs.pyx"] == ("remove", "sources")
    assert decisions["numpy/__init__.pyi"] == ("remove", "type-stubs")
    assert decisions["numpy/__pycache__/__init__.cpython-311.pyc"] == ("remove", "host-bytecode")
    assert decisions["bin/f2py"] == ("remove", "scripts")


def test_keep_lists_win_over_removals():
    decisions, _ = decide(
        [
            entry("numpy/_core/tests/_natype.py"),
            entry("numpy/_core/tests/test_umath.py"),
            entry("numpy-2.2.6.dist-info/LICENSE.md"),
            entry("numpy-2.2.6.dist-info/METADATA"),
        ]
    )
    assert decisions["numpy/_core/tests/_natype.py"] == ("keep", "keep:numpy")
    assert decisions["numpy/_core/tests/test_umath.py"] == ("remove", "tests")
    # *.md is a doc, but dist-info holds the license and what importlib.metadata reads.
    assert decisions["numpy-2.2.6.dist-info/LICENSE.md"] == ("keep", "keep:dist-info")
    assert decisions["numpy-2.2.6.dist-info/METADATA"] == ("keep", "keep:dist-info")


def test_recipe_keep_and_package_rules():
    config = MinimizeConfig(
        keep=("pandas/tests/io/data/*",),
        remove=("pandas/io/formats/templates/*",),
        packages={"scipy": PackageRules(keep=("scipy/stats/tests/data.py",), remove=("scipy/misc/*",))},
    )
    decisions, _ = decide(
        [
            entry("pandas/tests/io/data/a.csv", dist="pandas"),
            entry("pandas/io/formats/templates/html.tpl", dist="pandas"),
            entry("scipy/stats/tests/data.py", dist="scipy"),
            entry("scipy/misc/face.dat", dist="scipy"),
        ],
        config=config,
    )
    assert decisions["pandas/tests/io/data/a.csv"] == ("keep", "keep:recipe")
    assert decisions["pandas/io/formats/templates/html.tpl"] == ("remove", "recipe")
    assert decisions["scipy/stats/tests/data.py"] == ("keep", "keep:scipy")
    assert decisions["scipy/misc/face.dat"] == ("remove", "recipe:scipy")


def test_runtime_provided_packages_dropped_unless_requested():
    files = [entry("boto3/session.py", dist="boto3"), entry("botocore/client.py", dist="botocore")]
    decisions, _ = decide(files)
    assert decisions["boto3/session.py"] == ("remove", "runtime-provided")
    decisions, _ = decide(files, requested=frozenset({"boto3"}))
    assert decisions["boto3/session.py"] == ("keep", "default")
    assert decisions["botocore/client.py"] == ("remove", "runtime-provided")


def test_extension_modules_are_stripped_but_grafted_libraries_never():
    decisions, _ = decide(
        [
            entry("numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so", elf=True),
            entry("numpy.libs/libscipy_openblas64_-ff651d7f.so", elf=True),
            entry("scipy.libs/libgfortran-040039e1.so.5.0.0", elf=True, dist="scipy"),
        ]
    )
    assert decisions["numpy/_core/_multiarray_umath.cpython-312-x86_64-linux-gnu.so"] == ("strip", "strip")
    assert decisions["numpy.libs/libscipy_openblas64_-ff651d7f.so"] == ("keep", "default")
    assert decisions["scipy.libs/libgfortran-040039e1.so.5.0.0"] == ("keep", "default")


def test_no_strip_tool_means_no_strip_decisions():
    decisions, plan = decide([entry("numpy/x.so", elf=True)], strip=False)
    assert decisions["numpy/x.so"] == ("keep", "default")
    assert not plan.strip_available


def test_disabled_minimize_keeps_everything():
    decisions, _ = decide([entry("numpy/tests/test_x.py")], config=MinimizeConfig(enabled=False))
    assert decisions["numpy/tests/test_x.py"] == ("keep", "disabled")


def test_summaries_count_bytes_per_rule_and_package():
    _, plan = decide(
        [
            entry("numpy/tests/a.py", 10),
            entry("numpy/tests/b.py", 20),
            entry("numpy/__init__.pyi", 5),
            entry("numpy/__init__.py", 1000),
        ]
    )
    assert plan.summary_by_rule() == {
        "tests": RuleTotal(files=2, bytes=30),
        "type-stubs": RuleTotal(files=1, bytes=5),
    }
    assert plan.summary_by_package()["numpy"] == PackageTotal(
        kept_bytes=1000, removed_bytes=35, removed_files=3
    )
    assert plan.removed_bytes() == 35


def test_apply_moves_only_planned_files_aside_and_restore_puts_them_back(tmp_path):
    site = tmp_path / "python"
    for relative in (
        "numpy/__init__.py",
        "numpy/tests/test_a.py",
        "numpy/tests/__init__.py",
        "numpy/core.pyi",
    ):
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(relative)
    untouched = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    files = minimizer.scan(site)
    _, plan = decide(files)
    applied = minimizer.move_aside(site, plan.decisions, tmp_path / "aside")
    remaining = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert remaining == {"numpy/__init__.py"}
    assert applied.removed_files == 3
    assert not (site / "numpy/tests").exists()  # empty folders go too
    minimizer.restore(
        site, tmp_path / "aside", ["numpy/tests/test_a.py", "numpy/tests/__init__.py", "numpy/core.pyi"]
    )
    assert {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} == untouched


def test_identical_libraries_are_reported(tmp_path):
    site = tmp_path / "python"
    for relative, content in (
        ("numpy.libs/libgfortran-a.so.5", b"\x7fELF same"),
        ("scipy.libs/libgfortran-b.so.5", b"\x7fELF same"),
        ("scipy.libs/other.so", b"\x7fELF diff"),
    ):
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_bytes(content)
    groups = minimizer.identical_libraries(site, minimizer.scan(site))
    assert groups == [["numpy.libs/libgfortran-a.so.5", "scipy.libs/libgfortran-b.so.5"]]


def plan_with(files, evidence, config=DEFAULT):
    plan = minimizer.plan(
        files,
        rules=minimizer.default_rules(),
        config=config,
        requested=frozenset({"pkg"}),
        strip_available=False,
        evidence=evidence,
    )
    return {d.path: (d.action, d.rule) for d in plan.decisions}, plan


def test_what_the_smoke_test_touched_is_kept_from_heuristic_rules_with_the_reason():
    files = [
        entry("pkg/__init__.pyi", dist="pkg"),
        entry("pkg/tests/__init__.py", dist="pkg"),
        entry("pkg/tests/runner.py", dist="pkg"),
        entry("pkg/tests/test_other.py", dist="pkg"),
    ]
    used = frozenset({"pkg/__init__.pyi", "pkg/tests/__init__.py", "pkg/tests/runner.py"})
    decisions, plan = plan_with(files, minimizer.Evidence(used=used))
    assert decisions["pkg/__init__.pyi"] == ("keep", "evidence")
    assert decisions["pkg/tests/runner.py"] == ("keep", "evidence")
    assert decisions["pkg/tests/test_other.py"] == ("remove", "tests")
    kept = {k.path: (k.rule, k.reason) for k in plan.kept_by_evidence()}
    assert kept["pkg/__init__.pyi"] == ("type-stubs", "used by the smoke test")
    assert kept["pkg/tests/__init__.py"] == ("tests", "used by the smoke test")
    assert "pkg/tests/test_other.py" not in kept


def test_a_file_named_in_code_survives_a_heuristic_rule():
    files = [entry("pkg/src/fortranobject.h", dist="pkg"), entry("pkg/src/unused.h", dist="pkg")]
    evidence = minimizer.Evidence(named={"pkg/src/fortranobject.h": "pkg/build.py"})
    decisions, plan = plan_with(files, evidence)
    assert decisions["pkg/src/fortranobject.h"] == ("keep", "evidence")
    assert decisions["pkg/src/unused.h"] == ("remove", "sources")
    assert plan.kept_by_evidence()[0].reason == "named in pkg/build.py"


def test_documentation_is_not_removed():
    # Dataset loaders read their .rst descriptions at run time; the rule saved 15-58 kB.
    decisions, _ = plan_with(
        [entry("pkg/datasets/descr/iris.rst", dist="pkg"), entry("pkg/README.md", dist="pkg")],
        minimizer.Evidence(),
    )
    assert decisions["pkg/datasets/descr/iris.rst"] == ("keep", "default")
    assert decisions["pkg/README.md"] == ("keep", "default")


def test_evidence_does_not_overrule_exact_rules_or_the_recipes_own_removals():
    files = [
        entry("pkg/__pycache__/mod.cpython-311.pyc", dist="pkg"),
        entry("pkg/extra.py", dist="pkg"),
    ]
    used = frozenset(f.path for f in files)
    config = MinimizeConfig(remove=("pkg/extra.py",))
    decisions, plan = plan_with(files, minimizer.Evidence(used=used), config=config)
    assert decisions["pkg/__pycache__/mod.cpython-311.pyc"] == ("remove", "host-bytecode")
    assert decisions["pkg/extra.py"] == ("remove", "recipe")
    assert plan.kept_by_evidence() == ()


def test_heuristic_candidates_are_the_removals_of_heuristic_rules_only():
    files = [entry("pkg/__init__.pyi", dist="pkg"), entry("bin/tool", dist="pkg")]
    _, plan = plan_with(files, minimizer.Evidence())
    rules = minimizer.default_rules()
    assert [d.path for d in plan.heuristic_candidates(rules)] == ["pkg/__init__.pyi"]


def test_record_paths_read_csv_and_stay_under_the_site():
    from builder.layer import distinfo

    text = 'pkg/__init__.py,sha256=x,1\n"pkg/a,b.py",sha256=y,2\n../../bin/tool,,\n/etc/conf,,\npkg-1.0.dist-info/RECORD,,\n'
    assert list(distinfo.record_paths(text)) == ["pkg/__init__.py", "pkg/a,b.py", "pkg-1.0.dist-info/RECORD"]
    assert distinfo.distribution("Python_Dateutil-2.9.0.dist-info") == "python-dateutil"
    assert distinfo.distribution("odd.dist-info") == "odd"
