"""Beyond the scipy stack: layer sizes against a plain install, and what each heuristic rule is worth.

Usage: .venv/bin/python bench/library.py [--no-write] [--recipes NAME ...]

For each shipped recipe (default: scipy-stack, scikit-learn, pandas-arrow) on python3.12 x86_64,
from the committed lock:
  (a) `pip install --target` of the same pins, as a user gets it (pip's host bytecode): bytes, files;
  (b) `layer-builder build` with the recipe's defaults: unzipped and zipped bytes, files, smoke test.
Then, per heuristic rule: the files and bytes it removed from (b), and the files the evidence kept
(used by the smoke test, or named in their distribution's code) with their bytes in (a). The
documentation patterns the tool no longer removes (*.md, *.rst, */doc/*.txt outside *.dist-info)
are measured in (a) too: that is what the dropped `docs` rule would save; so are the patterns of the
dropped `build-metadata` rule.

Exits 2 when a step fails. Writes the `library` section of BENCHMARKS.md unless --no-write.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import _report
import _steps
from _report import format_table, grouped
from _steps import Pins, StepFailed

from builder.build import lock
from builder.recipe import find_recipe

SECTION = "library"
TARGET = ("python3.12", "x86_64")
RECIPES = ("scipy-stack", "scikit-learn", "pandas-arrow")
HEURISTIC = ("tests", "sources", "type-stubs")
DOCS = ("*.md", "*.rst", "*/doc/*.txt")
# The former build-metadata rule (static libraries, libtool, pkg-config and CMake files).
BUILD_METADATA = ("*.a", "*.la", "*/pkgconfig/*.pc", "*/cmake/*.cmake", "*.cmake")


@dataclass(frozen=True)
class Measured:
    recipe: str
    pins: Pins
    plain_bytes: int
    plain_files: int
    docs_files: int
    docs_bytes: int
    metadata_files: int
    metadata_bytes: int
    manifest: dict[str, object]
    kept: dict[str, tuple[int, int]]  # rule -> (files, bytes) kept by evidence


def pins_for(recipe_name: str) -> Pins:
    from builder.runtimes import get_target

    target = get_target(*TARGET)
    recipe = find_recipe(recipe_name, [_report.REPO / "recipes"])
    locked, path = lock.load_fresh(recipe, target)
    pins = tuple(f"{p.name}=={p.version}" for p in sorted(locked.packages, key=lambda p: p.name))
    return Pins(target=target, lock_path=path, pins=pins)


def tree_files(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_size for p in site.rglob("*") if p.is_file()}


def is_doc(path: str) -> bool:
    top = path.split("/", 1)[0]
    return not top.endswith(".dist-info") and any(fnmatch.fnmatch(path, pattern) for pattern in DOCS)


def is_build_metadata(path: str) -> bool:
    top = path.split("/", 1)[0]
    return not top.endswith(".dist-info") and any(fnmatch.fnmatch(path, p) for p in BUILD_METADATA)


def build(recipe: str, output: Path) -> dict[str, object]:
    argv = [sys.executable, "-m", "builder", "build", recipe, "-r", TARGET[0], "-a", TARGET[1]]
    out = _steps.run([*argv, "-o", output, "--json", "--no-cache"], what=f"build {recipe}", cwd=_report.REPO)
    manifest: dict[str, object] = json.loads(out)["layers"][0]["manifest"]
    return manifest


def measure(recipe: str, scratch: Path) -> Measured:
    pins = pins_for(recipe)
    site = scratch / recipe / "python"
    _steps.pip_target_install(pins, site, compile_host=True, env=_steps.offline_env(None))
    files = tree_files(site)
    docs = {p: s for p, s in files.items() if is_doc(p)}
    metadata = {p: s for p, s in files.items() if is_build_metadata(p)}
    manifest = build(recipe, scratch / "layers")
    minimize = manifest["minimize"]
    assert isinstance(minimize, dict)
    kept: dict[str, tuple[int, int]] = {}
    for row in minimize["kept"]:
        count, size = kept.get(row["rule"], (0, 0))
        kept[row["rule"]] = (count + 1, size + files.get(row["path"], 0))
    return Measured(
        recipe=recipe,
        pins=pins,
        plain_bytes=sum(files.values()),
        plain_files=len(files),
        docs_files=len(docs),
        docs_bytes=sum(docs.values()),
        metadata_files=len(metadata),
        metadata_bytes=sum(metadata.values()),
        manifest=manifest,
        kept=kept,
    )


def sizes_table(results: list[Measured]) -> str:
    rows = []
    for m in results:
        size, verification = m.manifest["size"], m.manifest["verification"]
        assert isinstance(size, dict) and isinstance(verification, dict)
        rows.append(
            [
                m.recipe,
                grouped(m.plain_bytes),
                str(m.plain_files),
                grouped(size["unzipped_bytes"]),
                grouped(size["zipped_bytes"]),
                str(size["file_count"]),
                f"{size['unzipped_bytes'] / m.plain_bytes:.2f}",
                verification["smoke"]["status"],
            ]
        )
    headers = ["recipe", "pip --target bytes", "files", "layer bytes", "zipped", "files", "ratio", "smoke"]
    return format_table(headers, rows, right=[False, True, True, True, True, True, True, False])


def rules_table(results: list[Measured]) -> str:
    rows = []
    for m in results:
        minimize = m.manifest["minimize"]
        assert isinstance(minimize, dict)
        for rule in HEURISTIC:
            removed = minimize["by_rule"].get(rule, {"files": 0, "bytes": 0})
            kept_files, kept_bytes = m.kept.get(rule, (0, 0))
            rows.append(
                [
                    m.recipe,
                    rule,
                    str(removed["files"]),
                    grouped(removed["bytes"]),
                    str(kept_files),
                    grouped(kept_bytes),
                ]
            )
        rows.append([m.recipe, "docs (dropped)", str(m.docs_files), grouped(m.docs_bytes), "-", "-"])
        rows.append(
            [m.recipe, "build-metadata (dropped)", str(m.metadata_files), grouped(m.metadata_bytes), "-", "-"]
        )
    headers = ["recipe", "rule", "removed files", "removed bytes", "kept by evidence", "kept bytes"]
    return format_table(headers, rows, right=[False, False, True, True, True, True])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES))
    args = parser.parse_args()
    facts, load_start = _report.machine_facts(), _report.load_average()
    results = []
    try:
        with _steps.scratch("bench-library-") as scratch:
            for recipe in args.recipes:
                print(f"measuring {recipe} ...", file=sys.stderr)
                results.append(measure(recipe, scratch))
    except StepFailed as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 2
    body = "\n".join(
        [
            "## Libraries: layers vs `pip install --target`, and what each heuristic rule is worth (bench/library.py)",
            "",
            *_report.facts_lines(facts, load_start, _report.load_average()),
            *(f"- Pins {m.pins.describe()}" for m in results),
            "",
            sizes_table(results),
            "",
            "### Heuristic rules",
            "",
            "Removed by each rule in the built layer, and kept despite it because the smoke test read the",
            "file on the full install or its distribution's code names it. `docs (dropped)` is what the",
            "former `docs` rule matches in the plain install: too little to risk a dataset loader's .rst.",
            "",
            rules_table(results),
        ]
    )
    print(body)
    if not args.no_write:
        _report.update_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
