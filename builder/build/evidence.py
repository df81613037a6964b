"""Evidence that a file is read, gathered from the full install before any rule removes anything.

A heuristic rule ("docs", "tests", ...) guesses that nothing reads what it matches; this module finds
where the guess is wrong, so the planner can keep those files:

- the files the smoke test touched on the full install (smoke.py records them), and
- the files whose name appears in the code of their own distribution: a dataset loader that reads
  `descr/iris.rst` names "iris.rst" in its source, which is read here before the sources are dropped.

Module files (`.py`) are found by importing, never by a name in code, so only other files are looked
up by name; what imports a module is the smoke test's evidence.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from builder.build.minimizer import Decision, FileEntry
from builder.layer.elfcheck import ElfProblem
from builder.manifest import ElfWarning

# A file name or path as it appears in code: "iris.rst", 'src/fortranobject.h'. Built names
# (f"{stem}.json") are not seen; what the smoke test reads is its own evidence.
_FILE_NAME = re.compile(r"[\w+-]+(?:[./][\w+-]+)*\.[\w+-]+")
CODE_SUFFIX = ".py"


def named_in_code(
    site: Path, files: Sequence[FileEntry], candidates: Iterable[Decision], removed: Iterable[str]
) -> dict[str, str]:
    """Candidate paths whose name appears in the kept code of their distribution -> that code file.

    `candidates` are the removals a heuristic rule planned; `removed` is every planned removal (code
    that is itself removed, such as a test suite naming its fixtures, is no evidence). A file name
    that several candidates of one distribution share (`__init__.pyi`, `meson.build`) names none of
    them on its own: the code must name its folder too ("cython/meson.build").
    """
    wanted: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for decision in candidates:
        if decision.distribution and not decision.path.endswith(CODE_SUFFIX):
            for key in _keys(decision.path):
                wanted[decision.distribution][key].append(decision.path)
    for by_name in wanted.values():
        for key in [k for k, paths in by_name.items() if "/" not in k and len(paths) > 1]:
            del by_name[key]  # ambiguous
    gone = set(removed)
    named: dict[str, str] = {}
    for entry in files:
        names = wanted.get(entry.distribution)
        if not names or not entry.path.endswith(CODE_SUFFIX) or entry.path in gone:
            continue
        for key in _file_names(site / entry.path) & names.keys():
            for path in names[key]:
                named.setdefault(path, entry.path)
    return named


def _keys(path: str) -> tuple[str, str]:
    """How code may name a file: by its name, or with its folder ("descr/iris.rst")."""
    folder, name = posixpath.split(path)
    return name, f"{posixpath.basename(folder)}/{name}"


def _file_names(code: Path) -> set[str]:
    """Every file name in the code, and each path in it cut to its last two parts."""
    try:
        text = code.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    found: set[str] = set()
    for token in _FILE_NAME.findall(text):
        parts = token.split("/")
        found.add(parts[-1])
        if len(parts) > 1:
            found.add("/".join(parts[-2:]))
    return found


# ---------------------------------------------------------------- libraries a plain install lacks too

MISSING = "missing-needed"
# NVIDIA's CUDA libraries (libcudart, libcublas, libcudnn, libnccl, libnvrtc, ...): Lambda has no GPU.
GPU_LIBRARY_PREFIXES = ("libcu", "libnv", "libnccl", "libcudnn")


def missing_libraries(problems: Iterable[ElfProblem]) -> frozenset[tuple[str, str]]:
    """(ELF file, library) pairs the loader would not find: taken on the full install, a baseline."""
    return frozenset((p.path, p.library) for p in problems if p.kind == MISSING)


@dataclass(frozen=True)
class Split:
    """ELF problems judged against the full install: what minimizing broke (errors), what a plain
    install lacks as well (warnings, each one a note), and of those the GPU libraries by file, which
    one summary line stands for instead of a note per CUDA library."""

    errors: list[ElfProblem] = field(default_factory=list)
    warnings: list[ElfWarning] = field(default_factory=list)
    notes: list[ElfWarning] = field(default_factory=list)  # the warnings that are not GPU libraries
    gpu: dict[str, list[str]] = field(default_factory=dict)


def split_by_baseline(
    problems: Sequence[ElfProblem], baseline: frozenset[tuple[str, str]], os_name: str
) -> Split:
    """Errors, and warnings for libraries the full install lacked as well.

    A wheel may ship optional extension modules (a threading layer, a GPU backend) whose libraries
    neither the wheel nor Lambda has; they load only when selected, so a plain `pip install` works
    just as well without them. Only what minimizing broke is an error.
    """
    split = Split()
    for problem in problems:
        if problem.kind == MISSING and (problem.path, problem.library) in baseline:
            detail = (
                f"needs {problem.library}, which is neither in the layer nor on {os_name}: "
                "the same in a plain install, so the module is kept; it fails only if it is imported"
            )
            warning = ElfWarning(path=problem.path, detail=detail)
            split.warnings.append(warning)
            if problem.library.startswith(GPU_LIBRARY_PREFIXES):
                split.gpu.setdefault(problem.path, []).append(problem.library)
            else:
                split.notes.append(warning)
        else:
            split.errors.append(problem)
    return split
