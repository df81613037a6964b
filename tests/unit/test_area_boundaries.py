"""Areas never import each other: what two of them share lives in a neutral package both import.

An area is a folder of builder/ named in AREAS. Every other module of builder/ is neutral (the
top-level modules such as manifest.py, and neutral packages such as builder/layer/ or
builder/engine/): any area may import it, and it imports no area. Only the command-line roots in
ROOTS put areas together (builder/cli.py names them as strings and loads them lazily); nothing
imports a root.

The check reads the source with `ast`, so it sees every import: at the top, inside functions, under
`if TYPE_CHECKING:`, and `importlib.import_module("builder.x")` with a literal name.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import builder

PACKAGE = "builder"
# Add a new area here when its folder is created.
AREAS = frozenset({"build", "inspect", "publish", "cleanup", "tune", "ci"})
# Command-line roots that put areas together; they may import any area, and nothing may import them.
ROOTS = frozenset({"builder.cli", "builder.__main__", "builder.policies.cli"})


@dataclass(frozen=True, order=True)
class Crossing:
    importer: str  # module name, e.g. "builder.inspect.check"
    line: int
    imported: str  # e.g. "builder.build.minimizer"

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def area_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == PACKAGE and parts[1] in AREAS else None


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every import in tree; `from a import b` yields a.b (b may be a module)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            found += [
                (node.lineno, f"{base}.{alias.name}" if alias.name != "*" else base) for alias in node.names
            ]
        elif isinstance(node, ast.Call) and _is_import_module(node.func) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return found


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_import_module(func: ast.expr) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id == "import_module"
    )


def _is_root(module: str) -> bool:
    return module in ROOTS


def crossings(root: Path) -> list[Crossing]:
    """Every import in the package at `root` that crosses from one area (or a neutral module) into another area."""
    found: list[Crossing] = []
    for path in sorted(root.rglob("*.py")):
        importer = module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, imported in imported_modules(tree, importer, path.name == "__init__.py"):
            if not imported.startswith(PACKAGE + ".") and imported != PACKAGE:
                continue
            target_root = next((r for r in ROOTS if imported == r or imported.startswith(r + ".")), None)
            if target_root is not None and not _is_root(importer):
                found.append(Crossing(importer, line, imported))
                continue
            target = area_of(imported)
            if target is None or _is_root(importer):
                continue
            if area_of(importer) != target:
                found.append(Crossing(importer, line, imported))
    return sorted(found)


def test_no_area_imports_another_area() -> None:
    root = Path(builder.__file__).parent
    assert [str(c) for c in crossings(root)] == []


def test_the_checker_sees_every_real_area() -> None:
    # A renamed or new area folder that is missing from AREAS would make the check above vacuous.
    root = Path(builder.__file__).parent
    # A root's own folder (policies/cli.py) puts areas together and is no area.
    root_folders = {name.split(".")[1] for name in ROOTS if name.endswith(".cli") and name.count(".") == 2}
    folders = {p.parent.name for p in root.glob("*/cli.py")} - root_folders
    assert folders <= AREAS
    assert {"build", "inspect", "publish", "cleanup"} <= folders


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_checker_reports_exactly_the_crossing_imports(tmp_path: Path) -> None:
    root = tmp_path / PACKAGE
    allowed = {
        "__init__.py": "",
        "manifest.py": "import json\n",
        "cli.py": 'import importlib\nCOMMANDS = {"build": "builder.build.cli"}\nfrom builder.inspect import cli\n',
        "layer/__init__.py": "",
        "layer/rules.py": "from builder import manifest\n",
        "build/__init__.py": "",
        "build/cli.py": "from builder.build import steps\nfrom . import steps as again\nfrom builder.layer import rules\n",
        "build/steps.py": "import builder.manifest\n",
        "inspect/__init__.py": "",
        "inspect/cli.py": "from builder.layer.rules import x\nfrom builder import manifest\n",
    }
    crossing = {
        # an area importing another area's module, inside a function
        "inspect/check.py": "def f():\n    from builder.build.minimize import default_rules\n",
        # a relative import that climbs into another area
        "publish/__init__.py": "",
        "publish/plan.py": "from ..cleanup import plan\n",
        # a neutral package importing an area
        "layer/elfcheck.py": "import builder.build.steps\n",
        # `from builder import <area>` and a literal import_module
        "tune/__init__.py": "",
        "tune/run.py": 'from builder import inspect\nimport importlib\nimportlib.import_module("builder.build.cli")\n',
        # an area going through a root
        "cleanup/__init__.py": "",
        "cleanup/job.py": "from builder.cli import COMMANDS\n",
    }
    for relative, text in {**allowed, **crossing}.items():
        _write(root, relative, text)

    assert [str(c) for c in crossings(root)] == [
        "builder.cleanup.job:1 imports builder.cli.COMMANDS",
        "builder.inspect.check:2 imports builder.build.minimize.default_rules",
        "builder.layer.elfcheck:1 imports builder.build.steps",
        "builder.publish.plan:1 imports builder.cleanup.plan",
        "builder.tune.run:1 imports builder.inspect",
        "builder.tune.run:3 imports builder.build.cli",
    ]


# --- probes: programs that run in the target's interpreter -------------------------------------

PROBES = Path(builder.__file__).parent / "probes"


def _probe_files() -> list[Path]:
    return sorted(p for p in PROBES.glob("*.py") if p.name != "__init__.py")


def test_there_are_probes() -> None:
    assert {p.name for p in _probe_files()} >= {
        "smoke_runner.py",
        "syslibs_copy.py",
        "import_sweep.py",
        "import_timer.py",
    }


@pytest.mark.parametrize("probe", _probe_files(), ids=lambda p: p.name)
def test_a_probe_is_python_3_10_and_imports_only_the_standard_library(probe: Path) -> None:
    # The oldest target interpreter is 3.10 (Lambda's python3.10), and a probe runs with only the
    # layer on sys.path: nothing of builder or its dependencies is there.
    tree = ast.parse(probe.read_text(encoding="utf-8"), feature_version=(3, 10))
    names = {name.split(".")[0] for _, name in imported_modules(tree, f"builder.probes.{probe.stem}", False)}
    assert names <= sys.stdlib_module_names - {"__future__"}, names - sys.stdlib_module_names
    assert "__main__" in probe.read_text(encoding="utf-8")  # the work is behind `if __name__ == "__main__"`
