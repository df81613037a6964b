"""Smoke test and bytecode steps with this interpreter standing in for the target's."""

from __future__ import annotations

import sys
from pathlib import Path

from builder.build import bytecode, smoke
from builder.build.interpreters import probe
from builder.build.pythons import LocalPython
from builder.recipe import SmokeTest

HERE = probe(Path(sys.executable))
assert HERE is not None
PYTHON = LocalPython(HERE)


def make_site(tmp_path: Path, files: dict[str, str]) -> Path:
    site = tmp_path / "layer" / "python"
    for relative, text in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)
    return site


def test_smoke_passes_when_imports_and_script_work(tmp_path: Path):
    site = make_site(tmp_path, {"mypkg/__init__.py": "VALUE = 41\n"})
    test = SmokeTest(imports=("mypkg", "json"), script="import mypkg\nassert mypkg.VALUE + 1 == 42\n")
    report = smoke.run_smoke(site, test, PYTHON, "", scratch=tmp_path / "s")
    assert report.status == "passed", report.failures
    assert not list(site.rglob("__pycache__")), "the smoke test must not write bytecode into the layer"


def test_smoke_reports_each_failing_import_and_the_script_line(tmp_path: Path):
    site = make_site(tmp_path, {"mypkg/__init__.py": "VALUE = 1\n"})
    test = SmokeTest(imports=("mypkg", "missing_module"), script="x = 1\nassert x == 2, 'x is not two'\n")
    report = smoke.run_smoke(site, test, PYTHON, "", scratch=tmp_path / "s")
    assert report.status == "failed"
    assert any("import missing_module: ModuleNotFoundError" in f for f in report.failures)
    script_failure = next(f for f in report.failures if f.startswith("script:"))
    assert "assert x == 2, 'x is not two'" in script_failure  # the source line is shown


def test_host_site_packages_are_not_visible(tmp_path: Path):
    # pytest is installed for this interpreter, but not in the layer: the smoke test must not see it.
    site = make_site(tmp_path, {"mypkg/__init__.py": ""})
    report = smoke.run_smoke(site, SmokeTest(imports=("pytest",)), PYTHON, "", scratch=tmp_path / "s")
    assert report.status == "failed"


def test_smoke_without_interpreter_is_not_run_and_says_why(tmp_path: Path):
    report = smoke.run_smoke(
        tmp_path, SmokeTest(imports=("x",)), None, "no Python 3.14 found", scratch=tmp_path
    )
    assert (report.status, report.reason) == ("not run", "no Python 3.14 found")


def test_crashing_interpreter_is_a_failure_with_its_output(tmp_path: Path):
    site = make_site(tmp_path, {"boom/__init__.py": "import os\nos._exit(3)\n"})
    report = smoke.run_smoke(site, SmokeTest(imports=("boom",)), PYTHON, "", scratch=tmp_path / "s")
    assert report.status == "failed"
    assert "exited early (3)" in report.reason


def test_pyc_mode_compiles_unchecked_hash_bytecode_for_this_version(tmp_path: Path):
    site = make_site(tmp_path, {"mypkg/__init__.py": "A = 1\n", "mypkg/bad.py": "def broken(:\n"})
    report = bytecode.compile_tree(site, mode="pyc", python=PYTHON, why_missing="")
    tag = sys.implementation.cache_tag
    pyc = site / "mypkg" / "__pycache__" / f"__init__.{tag}.pyc"
    assert report.status == "compiled" and pyc.is_file()
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    assert flags == 0b01, "hash-based, unchecked (PEP 552)"
    assert report.failed == ("mypkg/bad.py",)
    assert (site / "mypkg" / "__init__.py").is_file()


def test_sourceless_mode_keeps_only_bytecode_except_where_compiling_failed(tmp_path: Path):
    site = make_site(tmp_path, {"mypkg/__init__.py": "A = 1\n", "mypkg/bad.py": "def broken(:\n"})
    bytecode.compile_tree(site, mode="sourceless", python=PYTHON, why_missing="")
    assert (site / "mypkg" / "__init__.pyc").is_file()
    assert not (site / "mypkg" / "__init__.py").exists()
    assert (site / "mypkg" / "bad.py").is_file(), "a file that did not compile keeps its source"
    report = smoke.run_smoke(
        site,
        SmokeTest(imports=("mypkg",), script="import mypkg; assert mypkg.A == 1"),
        PYTHON,
        "",
        scratch=tmp_path / "s",
    )
    assert report.status == "passed", report.failures


def test_no_interpreter_or_none_mode_skips_with_reason(tmp_path: Path):
    site = make_site(tmp_path, {"mypkg/__init__.py": ""})
    skipped = bytecode.compile_tree(site, mode="pyc", python=None, why_missing="no Python 3.14 found")
    assert (skipped.status, skipped.reason) == ("skipped", "no Python 3.14 found")
    none = bytecode.compile_tree(site, mode="none", python=PYTHON, why_missing="")
    assert none.status == "skipped"
    assert not list(site.rglob("*.pyc"))


def test_smoke_reports_the_layer_files_the_workload_opened_and_imported(tmp_path: Path):
    # A lazy loader that parses its own stub, a `tests` module imported at import, a data file
    # opened by the script, and a file it looked for and did not find.
    site = make_site(
        tmp_path,
        {
            "lazy/__init__.py": "import pathlib\nSTUB = pathlib.Path(__file__ + 'i').read_text()\n"
            "from lazy.tests import runner\n",
            "lazy/__init__.pyi": "def f() -> int: ...\n",
            "lazy/tests/__init__.py": "",
            "lazy/tests/runner.py": "",
            "lazy/tests/test_lazy.py": "",
            "lazy/data/table.csv": "a,b\n",
        },
    )
    script = (
        "import lazy, os\n"
        "open(os.path.join(os.path.dirname(lazy.__file__), 'data', 'table.csv')).read()\n"
        "try:\n    open(os.path.join(os.path.dirname(lazy.__file__), 'gone.rst'))\n"
        "except FileNotFoundError:\n    pass\n"
    )
    report = smoke.run_smoke(site, SmokeTest(script=script), PYTHON, "", scratch=tmp_path / "s")
    assert report.status == "passed", report.failures
    assert {
        "lazy/__init__.py",
        "lazy/__init__.pyi",
        "lazy/tests/__init__.py",
        "lazy/tests/runner.py",
        "lazy/data/table.csv",
        "lazy/gone.rst",
    } <= report.touched
    assert "lazy/tests/test_lazy.py" not in report.touched
    assert not [p for p in report.touched if p.startswith("/") or p.startswith("..")]
