"""Strip extension modules without breaking them.

Stripping symbols no relocation needs (`--strip-unneeded`) keeps every export the loader and Python
use (numpy 2.5 + scipy 1.18 + pandas 3.1 extension modules: 84.6 MB -> 76.4 MB). Two rules make it safe:

- libraries grafted by auditwheel (`numpy.libs/`, `scipy.libs/`) are never stripped: auditwheel's
  patchelf rewrites their layout, and strip then writes load segments whose offset and address
  disagree ("ELF load command address/offset not page-aligned" at import; here 2 of the 6 grafted
  libraries of that stack, both caught by the check below; https://github.com/pypa/auditwheel/issues/716,
  https://github.com/NixOS/patchelf/issues/10);
- every stripped file is proven to still be an ELF of the target machine whose PT_LOAD segments the
  loader accepts; a file that is not gets its original bytes back.
"""

from __future__ import annotations

import filecmp
import platform
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from builder import proc
from builder.build import steps
from builder.errors import BuildError
from builder.layer.elfcheck import E_MACHINE, FRIENDLY_MACHINE, is_elf
from builder.runtimes import MACHINE_ALIASES

STEP = steps.MINIMIZE
BATCH_SIZE = 200  # files per strip process: one process per file costs seconds on a 1,000-file tree
# glibc's loader rejects a PT_LOAD whose (p_vaddr - p_offset) is not a multiple of the page size
# (elf/dl-load.c, "ELF load command address/offset not page-aligned"); Lambda uses 4 KiB pages.
PAGE_SIZE = 4096
CROSS_STRIP = {"x86_64": "x86_64-linux-gnu-strip", "aarch64": "aarch64-linux-gnu-strip"}
# llvm-strip handles every architecture; Debian and Ubuntu install it with a version suffix.
LLVM_STRIP = ["llvm-strip", *(f"llvm-strip-{version}" for version in range(30, 9, -1))]

Which = Callable[[str], str | None]
# Runs one strip command; returns its exit code and what it printed on stderr.
Runner = Callable[[Sequence[str]], tuple[int, str]]


@dataclass(frozen=True)
class StrippedFile:
    path: Path
    # "stripped"; "unchanged" (strip left it byte for byte, e.g. already stripped); "restored" (strip
    # broke it and the original is back); "skipped" (not an ELF file of the target machine).
    status: str
    bytes_before: int
    bytes_after: int
    reason: str = ""  # why it was restored or skipped

    @property
    def bytes_saved(self) -> int:
        return self.bytes_before - self.bytes_after


@dataclass(frozen=True)
class StripResult:
    tool: str
    files: tuple[StrippedFile, ...]
    tool_errors: tuple[str, ...] = ()  # what strip printed when it exited non-zero

    @property
    def bytes_saved(self) -> int:
        return sum(file.bytes_saved for file in self.files)

    @property
    def restored(self) -> tuple[StrippedFile, ...]:
        return tuple(file for file in self.files if file.status == "restored")


def find_strip_tool(
    machine: str,
    *,
    which: Which = shutil.which,
    host_machine: str | None = None,
    host_system: str | None = None,
) -> str | None:
    """The strip program that can write ELF files for `machine` ("x86_64" or "aarch64"), or None.

    GNU strip handles only the machine it was built for, so the host's `strip` serves only when the
    host is a Linux machine of the target's kind (macOS's strip does not write ELF at all).
    """
    host_machine = host_machine or platform.machine()
    host_system = host_system or platform.system()
    candidates = []
    if host_system == "Linux" and MACHINE_ALIASES.get(host_machine, host_machine) == machine:
        candidates.append("strip")
    if machine in CROSS_STRIP:
        candidates.append(CROSS_STRIP[machine])
    candidates += LLVM_STRIP
    for name in candidates:
        found = which(name)
        if found:
            return found
    return None


def is_grafted_library(relpath: str) -> bool:
    """Whether the file is a library that auditwheel (or delocate) copied into the wheel.

    auditwheel puts them in a top-level `<name>.libs/` folder (older releases: `<package>/.libs/`),
    delocate in `<package>/.dylibs/`. Matching any such folder errs on the safe side: a library we
    wrongly think grafted is only left unstripped.
    """
    folders = PurePosixPath(relpath).parts[:-1]
    return any(folder.endswith((".libs", ".dylibs")) for folder in folders)


def run_strip(argv: Sequence[str]) -> tuple[int, str]:
    """The one place this module starts a process, so tests can put a fake strip in its place."""
    done = proc.run(argv, step=STEP, check=False)
    return done.returncode, done.stderr


def strip_files(
    paths: list[Path],
    *,
    tool: str,
    machine: str,
    run: Runner = run_strip,
    batch_size: int = BATCH_SIZE,
) -> StripResult:
    """Strip extension modules in place with `--strip-unneeded`; restore any that stripping broke.

    Raises BuildError before touching anything if a path is an auditwheel-grafted library.
    """
    grafted = [path for path in paths if is_grafted_library(path.as_posix())]
    if grafted:
        raise BuildError(
            STEP,
            f"refusing to strip {grafted[0]}{_and_more(grafted)}: auditwheel-grafted libraries "
            "break when stripped (ELF load command address/offset not page-aligned)",
            hint="strip only extension modules; leave everything under a *.libs/ folder as it is",
        )
    outcomes: list[StrippedFile] = []
    errors: list[str] = []
    for batch in _batches(paths, batch_size):
        batch_outcomes, error = _strip_batch(batch, tool=tool, machine=machine, run=run)
        outcomes += batch_outcomes
        if error:
            errors.append(error)
    return StripResult(tool=tool, files=tuple(outcomes), tool_errors=tuple(errors))


def _strip_batch(
    paths: list[Path], *, tool: str, machine: str, run: Runner
) -> tuple[list[StrippedFile], str]:
    outcomes: dict[Path, StrippedFile] = {}
    todo: list[Path] = []
    for path in paths:
        reason = _not_strippable(path, machine)
        if reason:
            size = path.stat().st_size
            outcomes[path] = StrippedFile(path, "skipped", size, size, reason)
        else:
            todo.append(path)
    error = ""
    with tempfile.TemporaryDirectory(prefix="layer-builder-strip-") as backup_dir:
        backups = _back_up(todo, Path(backup_dir))
        if todo:
            error = _run(run, [tool, "--strip-unneeded", *(str(path) for path in todo)])
        for path in todo:
            outcomes[path] = _keep_or_restore(path, backups[path], machine)
    return [outcomes[path] for path in paths], error


def _not_strippable(path: Path, machine: str) -> str:
    """Why strip must not be given this file, or "" when it may."""
    if not is_elf(path):
        return "not an ELF file"
    problem = load_problem(path, machine)
    return f"not a loadable {machine} ELF file before stripping: {problem}" if problem else ""


def _back_up(paths: list[Path], folder: Path) -> dict[Path, Path]:
    backups = {}
    for number, path in enumerate(paths):
        backups[path] = folder / str(number)
        shutil.copy2(path, backups[path])
    return backups


def _run(run: Runner, argv: list[str]) -> str:
    code, stderr = run(argv)  # a strip that cannot start is proc's BuildError, naming this step
    return "" if code == 0 else f"{argv[0]} exited with {code}: {stderr.strip()}"


def _keep_or_restore(path: Path, backup: Path, machine: str) -> StrippedFile:
    before = backup.stat().st_size
    problem = load_problem(path, machine)
    if problem:
        shutil.copy2(backup, path)
        return StrippedFile(path, "restored", before, before, f"stripping broke it: {problem}")
    if filecmp.cmp(path, backup, shallow=False):
        return StrippedFile(path, "unchanged", before, before)
    return StrippedFile(path, "stripped", before, path.stat().st_size)


def load_problem(path: Path, machine: str) -> str:
    """Why the loader would refuse this file on `machine`, or "" if its header and segments are sound."""
    try:
        with path.open("rb") as stream:
            elf = ELFFile(stream)
            e_machine = str(elf.header["e_machine"])
            if e_machine != E_MACHINE[machine]:
                return f"built for {FRIENDLY_MACHINE.get(e_machine, e_machine)}, not {machine}"
            for _ in elf.iter_sections():  # parse every section header: a broken table fails here
                pass
            return next(_misaligned_loads(elf), "")
    except (ELFError, OSError, ValueError, KeyError) as error:
        return f"not a readable ELF file ({error})"


def _misaligned_loads(elf: ELFFile) -> Iterator[str]:
    for segment in elf.iter_segments():
        if segment["p_type"] != "PT_LOAD":
            continue
        offset, vaddr, align = segment["p_offset"], segment["p_vaddr"], segment["p_align"]
        # The ELF spec requires p_offset ≡ p_vaddr (mod p_align); glibc checks it per page.
        for unit in (align, PAGE_SIZE) if align > 1 else (PAGE_SIZE,):
            if offset % unit != vaddr % unit:
                yield (
                    f"PT_LOAD at offset {offset:#x} maps to address {vaddr:#x}, "
                    f"not congruent modulo {unit:#x} (ELF load command address/offset not page-aligned)"
                )
                break


def _batches(paths: list[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(paths), size):
        yield paths[start : start + size]


def _and_more(paths: list[Path]) -> str:
    return f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
