"""Evidence that a file is read: names in a distribution's own code, on real files."""

from __future__ import annotations

from pathlib import Path

from builder.build import evidence, minimizer
from builder.recipe import MinimizeConfig

CONFIG = MinimizeConfig()


def staged(
    tmp_path: Path, files: dict[str, str], dist: str = "pkg"
) -> tuple[Path, list[minimizer.FileEntry]]:
    site = tmp_path / "python"
    for relative, text in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)
    entries = [
        minimizer.FileEntry(path=p, size=len(t), distribution=dist, is_elf=False) for p, t in files.items()
    ]
    return site, entries


def named(site: Path, entries: list[minimizer.FileEntry]) -> dict[str, str]:
    rules = minimizer.default_rules()
    plan = minimizer.plan(
        entries, rules=rules, config=CONFIG, requested=frozenset({"pkg"}), strip_available=False
    )
    removed = [d.path for d in plan.by_action(minimizer.REMOVE)]
    return evidence.named_in_code(site, entries, plan.heuristic_candidates(rules), removed)


def test_a_source_file_the_code_names_is_found(tmp_path: Path):
    site, entries = staged(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/compile.py": 'def sources():\n    return [os.path.join(SRC, "fortranobject.c")]\n',
            "pkg/src/fortranobject.c": "int x;",
            "pkg/src/other.c": "never named",
            "pkg/tests/data/sample.csv": "never named",
        },
    )
    assert named(site, entries) == {"pkg/src/fortranobject.c": "pkg/compile.py"}


def test_code_that_is_itself_removed_is_no_evidence(tmp_path: Path):
    site, entries = staged(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/tests/test_io.py": 'FIXTURE = "fixture.csv"\n',
            "pkg/tests/fixture.csv": "read by the test suite only",
        },
    )
    assert named(site, entries) == {}


def test_another_distributions_code_is_no_evidence(tmp_path: Path):
    site, entries = staged(tmp_path, {"pkg/api.pyi": "def f() -> int: ..."})
    other_site, other = staged(tmp_path, {"other/__init__.py": 'open("api.pyi")\n'}, dist="other")
    assert other_site == site
    assert named(site, entries + other) == {}


def test_a_name_many_files_share_needs_its_folder_in_the_code(tmp_path: Path):
    site, entries = staged(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/build.py": 'TEMPLATE = "meson.build"\nSTUB = "sub/__init__.pyi"\n',
            "pkg/tests/examples/cython/meson.build": "",
            "pkg/tests/examples/limited/meson.build": "",
            "pkg/sub/__init__.pyi": "",
            "pkg/other/__init__.pyi": "",
        },
    )
    assert named(site, entries) == {"pkg/sub/__init__.pyi": "pkg/build.py"}
