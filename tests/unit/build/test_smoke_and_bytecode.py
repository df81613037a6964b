"""Smoke test and bytecode steps with this interpreter standing in for the target's."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from builder import proc
from builder.build import bytecode, smoke
from builder.interpreters.locate import probe
from builder.interpreters.run import LocalPython
from builder.manifest import BytecodeMode, RunMethod
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
    assert report.status == "passed", report.smoke.failures
    assert not list(site.rglob("__pycache__")), "the smoke test must not write bytecode into the layer"


def test_smoke_reports_each_failing_import_and_the_script_line(tmp_path: Path):
    site = make_site(tmp_path, {"mypkg/__init__.py": "VALUE = 1\n"})
    test = SmokeTest(imports=("mypkg", "missing_module"), script="x = 1\nassert x == 2, 'x is not two'\n")
    report = smoke.run_smoke(site, test, PYTHON, "", scratch=tmp_path / "s")
    assert report.status == "failed"
    assert any("import missing_module: ModuleNotFoundError" in f for f in report.smoke.failures)
    script_failure = next(f for f in report.smoke.failures if f.startswith("script:"))
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
    assert (report.status, report.smoke.reason) == ("not run", "no Python 3.14 found")


def test_crashing_interpreter_is_a_failure_with_its_output(tmp_path: Path):
    site = make_site(tmp_path, {"boom/__init__.py": "import os\nos._exit(3)\n"})
    report = smoke.run_smoke(site, SmokeTest(imports=("boom",)), PYTHON, "", scratch=tmp_path / "s")
    assert report.status == "failed"
    assert "exited early (3)" in report.smoke.reason


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
    assert report.status == "passed", report.smoke.failures


def test_no_interpreter_or_none_mode_skips_with_reason(tmp_path: Path):
    site = make_site(tmp_path, {"mypkg/__init__.py": ""})
    skipped = bytecode.compile_tree(site, mode="pyc", python=None, why_missing="no Python 3.14 found")
    assert (skipped.status, skipped.reason) == ("skipped", "no Python 3.14 found")
    none = bytecode.compile_tree(site, mode="none", python=PYTHON, why_missing="")
    assert none.status == "skipped"
    assert not list(site.rglob("*.pyc"))


@dataclass(frozen=True)
class Recording:
    """Records the arguments it is run with (pure logic: which compileall flags are chosen)."""

    runs_itself: bool
    calls: list[list[str]] = field(default_factory=list)
    version: str = "3.13"
    machine: str = "aarch64"
    label: str = "wrapper"
    method: RunMethod = "emulated"

    def run(
        self, args: Sequence[str], *, step: str, env: Mapping[str, str], timeout: float | None
    ) -> proc.Result:
        self.calls.append(list(args))
        return proc.Result(tuple(args), 0, "", "")


@pytest.mark.parametrize(("runs_itself", "workers"), [(True, "0"), (False, "1")])
def test_compileall_uses_workers_only_when_the_interpreter_can_start_itself(
    tmp_path: Path, runs_itself: bool, workers: str
):
    # compileall's workers start sys.executable; behind a wrapper or qemu that may not run here.
    runner = Recording(runs_itself=runs_itself)
    bytecode.compile_tree(make_site(tmp_path, {"a.py": ""}), mode="pyc", python=runner, why_missing="")
    [argv] = runner.calls
    assert argv[argv.index("-j") + 1] == workers


@pytest.mark.parametrize("mode", ["pyc", "sourceless"])
def test_a_wrapper_compiles_the_same_bytecode_in_shares(tmp_path: Path, mode: BytecodeMode):
    files = {f"pkg{i}/__init__.py": f"A = {i}\n" for i in range(4)} | {"single.py": "B = 1\n"}
    log = tmp_path / "calls.log"
    script = tmp_path / "wrapper"
    script.write_text(f'#!/bin/sh\necho "$$" >> "{log}"\nexec "{sys.executable}" "$@"\n')
    script.chmod(0o755)
    wrapped = probe(script)
    assert wrapped is not None and not wrapped.runs_itself
    native, behind = make_site(tmp_path / "a", files), make_site(tmp_path / "b", files)
    bytecode.compile_tree(native, mode=mode, python=PYTHON, why_missing="")
    report = bytecode.compile_tree(behind, mode=mode, python=LocalPython(wrapped), why_missing="")
    assert report.status == "compiled" and report.interpreter == str(script)

    def pycs(site: Path) -> dict[str, bytes]:
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*.pyc"))}

    assert pycs(native) and pycs(native) == pycs(behind), "same file names and the same bytes"
    calls = len(log.read_text().split()) - 1  # less the probe
    assert calls == min(os.cpu_count() or 1, 5), "one process per core, each on a share"


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
    assert report.status == "passed", report.smoke.failures
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
