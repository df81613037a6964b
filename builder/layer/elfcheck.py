"""Check every ELF file in a staged layer against the Lambda platform it will run on.

For each file that starts with the ELF magic bytes (extensions lie: `.so` files may be text, ELF files
may have no extension) the check proves what the dynamic loader on Lambda will need:

- the machine is the target's (an arm64 wheel in an x86_64 layer fails at import);
- every `GLIBC_x.y` symbol version it needs is at most the runtime's glibc;
- every `GLIBCXX_*` / `CXXABI_*` version it needs from the system libstdc++ exists there;
- every `DT_NEEDED` library is in the layer (its RPATH/RUNPATH folders or `lib/`) or in the base
  image's system libraries (`data/system-libs.toml`).

Only headers, the dynamic section and `.gnu.version_r` are read, so a 20,000-file tree takes seconds.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import Dynamic, DynamicSection, DynamicSegment
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

from builder import tomlload

ELF_MAGIC = b"\x7fELF"

# Our machine names (uname / wheel tags) and pyelftools' e_machine names.
E_MACHINE = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
FRIENDLY_MACHINE = {
    "EM_X86_64": "x86_64",
    "EM_AARCH64": "aarch64 (arm64)",
    "EM_386": "32-bit x86",
    "EM_ARM": "32-bit ARM",
}

# Lambda extracts layers into /opt and puts /opt/lib on LD_LIBRARY_PATH
# (docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html).
LAYER_MOUNT = "/opt"
LAYER_LIB = "lib"

LIBSTDCXX = "libstdc++.so.6"
# Packed relative relocations (`ld -z pack-relative-relocs`): glibc applies them only from 2.36 on
# (glibc 2.36 NEWS). GNU ld then adds a GLIBC_ABI_DT_RELR version need, but only to files that link
# libc; an older loader silently skips the tag and leaves pointers unrelocated, so check the tag.
RELR_GLIBC = (2, 36)


@dataclass(frozen=True)
class ElfProblem:
    path: str  # relative to the layer root, posix
    kind: str  # "wrong-machine" | "glibc-too-new" | "libstdcxx-too-new" | "missing-needed" | "unreadable"
    detail: str  # a sentence for the user
    library: str = ""  # the DT_NEEDED name, for "missing-needed"


@dataclass(frozen=True)
class SystemLibs:
    """What one Amazon Linux version provides to a Lambda function (data/system-libs.toml)."""

    os_name: str
    sonames: frozenset[str]
    glibcxx_max: tuple[int, ...]
    cxxabi_max: tuple[int, ...]


@dataclass(frozen=True)
class ElfInfo:
    """The parts of one ELF file that decide whether it loads."""

    e_machine: str  # pyelftools' name, e.g. "EM_X86_64"
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    versions: tuple[tuple[str, str], ...]  # (library, version) pairs from .gnu.version_r
    relr: bool  # has DT_RELR (packed relative relocations)


@dataclass(frozen=True)
class _Target:
    machine: str
    glibc: tuple[int, int]
    libs: SystemLibs


def check_tree(root: Path, *, machine: str, glibc: tuple[int, int], os_id: str) -> list[ElfProblem]:
    """Every problem that would stop an ELF file under `root` (the layer's top folder) from loading."""
    if machine not in E_MACHINE:
        raise ValueError(f"unknown machine {machine!r}; expected one of {sorted(E_MACHINE)}")
    target = _Target(machine=machine, glibc=glibc, libs=system_libs(os_id))
    files = set(_walk(root))
    infos: dict[str, ElfInfo] = {}
    problems: list[ElfProblem] = []
    for rel in sorted(files):
        path = root / rel
        if is_elf(path):
            try:
                infos[rel] = read_elf_info(path)
            except (ELFError, OSError, ValueError, KeyError) as error:
                # pyelftools reports truncated or garbled files with any of these.
                detail = f"starts like an ELF file but cannot be read ({error}); is it truncated or corrupt?"
                problems.append(ElfProblem(rel, "unreadable", detail))
    for rel, info in infos.items():
        problems += _check_file(rel, info, target=target, layer_files=files, infos=infos)
    return sorted(problems, key=lambda problem: problem.path)


def may_be_elf(name: str) -> bool:
    """Whether a file of this name can be a shared library or an executable (`.so`, `.so.N`, no suffix).

    Checked before opening a file: a layer has thousands of .py and .pyc files.
    """
    base = name.rsplit("/", 1)[-1]
    return base.endswith(".so") or ".so." in base or "." not in base


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(4) == ELF_MAGIC
    except OSError:  # a dangling symlink, a socket: not something the loader will map
        return False


def _check_file(
    rel: str, info: ElfInfo, *, target: _Target, layer_files: set[str], infos: dict[str, ElfInfo]
) -> list[ElfProblem]:
    wanted = E_MACHINE[target.machine]
    if info.e_machine != wanted:
        built_for = FRIENDLY_MACHINE.get(info.e_machine, info.e_machine.removeprefix("EM_"))
        detail = f"is built for {built_for} but the layer targets {FRIENDLY_MACHINE[wanted]}"
        return [ElfProblem(rel, "wrong-machine", detail)]
    search = _SearchPath(rel, info, layer_files, target.libs)
    problems = _glibc_problems(rel, info, target)
    if search.where(LIBSTDCXX) != "rpath":  # a copy found through DT_RPATH wins over the system's
        problems += _libstdcxx_problems(rel, info, target.libs)
    problems += [
        _missing(rel, name, search, target.libs)
        for name in info.needed
        if search.where(name) is None and not _found_through_loaders(rel, info, name, layer_files, infos)
    ]
    return problems


def _found_through_loaders(
    rel: str, info: ElfInfo, name: str, layer_files: set[str], infos: dict[str, ElfInfo]
) -> bool:
    """Whether every file that loads `rel` finds `name` through its own DT_RPATH.

    ld.so searches the DT_RPATH of the loading object (and its loaders) too, unless the object
    being resolved has a DT_RUNPATH. auditwheel relies on it: scipy 1.16's grafted libgfortran has
    no RPATH and finds its libquadmath through the extension module's `$ORIGIN/../../scipy.libs`.
    """
    if info.runpath:
        return False
    filename = posixpath.basename(rel)
    loaders = [(loader, i) for loader, i in infos.items() if filename in i.needed]
    if not loaders:
        return False
    for loader, loader_info in loaders:
        if loader_info.runpath:
            return False
        origin = posixpath.join(LAYER_MOUNT, posixpath.dirname(loader))
        folders = _layer_dirs(loader_info.rpath, origin)
        if not any(posixpath.join(folder, name) in layer_files for folder in folders):
            return False
    return True


def read_elf_info(path: Path) -> ElfInfo:
    needed: list[str] = []
    rpath: list[str] = []
    runpath: list[str] = []
    relr = False
    with path.open("rb") as stream:
        elf = ELFFile(stream)
        dynamic, versions = _dynamic_and_versions(elf)
        for tag in dynamic.iter_tags() if dynamic else ():
            kind = tag.entry.d_tag
            if kind == "DT_NEEDED":
                needed.append(_tag_text(tag, "needed"))
            elif kind == "DT_RPATH":
                rpath += _tag_text(tag, "rpath").split(":")
            elif kind == "DT_RUNPATH":
                runpath += _tag_text(tag, "runpath").split(":")
            relr = relr or kind == "DT_RELR"
        machine = str(elf.header["e_machine"])
    return ElfInfo(machine, tuple(needed), tuple(rpath), tuple(runpath), tuple(versions), relr)


def _dynamic_and_versions(elf: ELFFile) -> tuple[Dynamic | None, list[tuple[str, str]]]:
    dynamic: Dynamic | None = None
    versions: list[tuple[str, str]] = []
    for section in elf.iter_sections():
        if isinstance(section, DynamicSection):
            dynamic = section
        elif isinstance(section, GNUVerNeedSection):
            for verneed, auxiliaries in section.iter_versions():
                versions += [(str(verneed.name), str(aux.name)) for aux in auxiliaries]
    if dynamic is None:  # section headers may be stripped away; the loader reads only PT_DYNAMIC
        dynamic = next((seg for seg in elf.iter_segments() if isinstance(seg, DynamicSegment)), None)
    return dynamic, versions


@cache
def system_libs(os_id: str) -> SystemLibs:
    text = resources.files("builder.data").joinpath("system-libs.toml").read_text(encoding="utf-8")
    systems: dict[str, Any] = tomlload.loads(text)["os"]
    if os_id not in systems:
        raise ValueError(f"unknown os {os_id!r}; data/system-libs.toml has {sorted(systems)}")
    row = systems[os_id]
    return SystemLibs(
        os_name=row["name"],
        sonames=frozenset(row["sonames"]),
        glibcxx_max=_numbers(row["glibcxx_max"]),
        cxxabi_max=_numbers(row["cxxabi_max"]),
    )


class _SearchPath:
    """Where the loader on Lambda would find each DT_NEEDED name of one file.

    ld.so's order (man ld.so): DT_RPATH (only when there is no DT_RUNPATH), LD_LIBRARY_PATH (on Lambda
    /var/lang/lib:/lib64:/usr/lib64:...:/opt/lib, so system libraries before the layer's lib/), then
    DT_RUNPATH.
    """

    def __init__(self, rel: str, info: ElfInfo, layer_files: set[str], libs: SystemLibs) -> None:
        origin = posixpath.join(LAYER_MOUNT, posixpath.dirname(rel))
        self.rpath = [] if info.runpath else _layer_dirs(info.rpath, origin)
        self.runpath = _layer_dirs(info.runpath, origin)
        self.layer_files = layer_files
        self.system = libs.sonames

    def where(self, name: str) -> str | None:
        """Where the loader finds `name` first ("rpath", "system", "lib", "runpath"), or None."""
        if self._in(self.rpath, name):
            return "rpath"
        if name in self.system:
            return "system"
        if self._in([LAYER_LIB], name):
            return "lib"
        if self._in(self.runpath, name):
            return "runpath"
        return None

    def looked_in(self) -> list[str]:
        return [*self.rpath, *self.runpath, LAYER_LIB]

    def _in(self, folders: list[str], name: str) -> bool:
        return any(posixpath.join(folder, name) in self.layer_files for folder in folders)


def _layer_dirs(entries: tuple[str, ...], origin: str) -> list[str]:
    """RPATH/RUNPATH entries that point into the layer, as folders relative to the layer root.

    Entries outside /opt (system folders) or relative to the working directory are not the layer's;
    entries with $LIB or $PLATFORM are skipped (no wheel uses them).
    """
    folders = []
    for entry in entries:
        expanded = entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)
        if not expanded.startswith("/") or "$" in expanded:
            continue
        folder = posixpath.normpath(expanded)
        if folder == LAYER_MOUNT:
            folders.append(".")
        elif folder.startswith(LAYER_MOUNT + "/"):
            folders.append(folder.removeprefix(LAYER_MOUNT + "/"))
    return folders


def _glibc_problems(rel: str, info: ElfInfo, target: _Target) -> list[ElfProblem]:
    too_new = sorted(
        {
            (needed, version)
            for _, version in info.versions
            if (needed := _glibc_needed(version)) is not None and needed > target.glibc
        }
    )
    if info.relr and target.glibc < RELR_GLIBC:
        too_new.append((RELR_GLIBC, "packed relative relocations (DT_RELR, glibc 2.36)"))
    if not too_new:
        return []
    names = ", ".join(dict.fromkeys(version for _, version in too_new))
    major, minor = target.glibc
    detail = (
        f"needs {names} but {target.libs.os_name} has glibc {major}.{minor}; "
        f"use a wheel tagged manylinux_{major}_{minor} or older"
    )
    return [ElfProblem(rel, "glibc-too-new", detail)]


def glibc_required(info: ElfInfo) -> tuple[int, int] | None:
    """The newest glibc release the file needs (its GLIBC_x.y versions, and 2.36 for DT_RELR), or None."""
    needed = [found for _, version in info.versions if (found := _glibc_needed(version)) is not None]
    if info.relr:
        needed.append(RELR_GLIBC)
    return max(needed, default=None)


def _glibc_needed(version: str) -> tuple[int, int] | None:
    """The glibc release that defines `version`, e.g. (2, 28) for GLIBC_2.28.1.

    None for versions that are not glibc releases: other libraries' (GLIBCXX_*), GLIBC_PRIVATE, and
    GLIBC_ABI_DT_RELR, which comes with the DT_RELR tag that is checked instead.
    """
    numbers = _numbers(version.removeprefix("GLIBC_")) if version.startswith("GLIBC_") else ()
    return (numbers[0], numbers[1] if len(numbers) > 1 else 0) if numbers else None


def _libstdcxx_problems(rel: str, info: ElfInfo, libs: SystemLibs) -> list[ElfProblem]:
    limits = {"GLIBCXX_": libs.glibcxx_max, "CXXABI_": libs.cxxabi_max}
    # Non-numeric labels (CXXABI_TM_1, GLIBCXX_LDBL_3.4) date from gcc 4 and parse as (), never too new.
    too_new = {
        version
        for library, version in info.versions
        for prefix, limit in limits.items()
        if library == LIBSTDCXX
        and version.startswith(prefix)
        and _numbers(version.removeprefix(prefix)) > limit
    }
    if not too_new:
        return []
    newest = f"GLIBCXX_{_text(libs.glibcxx_max)} / CXXABI_{_text(libs.cxxabi_max)}"
    detail = (
        f"needs {', '.join(sorted(too_new, key=_version_key))} from {LIBSTDCXX} but {libs.os_name}'s libstdc++ "
        f"only goes up to {newest}; use a wheel built for an older manylinux tag"
    )
    return [ElfProblem(rel, "libstdcxx-too-new", detail)]


def _missing(rel: str, name: str, search: _SearchPath, libs: SystemLibs) -> ElfProblem:
    looked = ", ".join(f"{folder}/" for folder in search.looked_in())
    detail = (
        f"needs {name}, which is neither in the layer (looked in {looked}) "
        f"nor among {libs.os_name}'s system libraries"
    )
    return ElfProblem(rel, "missing-needed", detail, library=name)


def _walk(root: Path) -> Iterator[str]:
    """Every non-folder entry under root, relative and posix; symlinks to folders are not followed."""
    for folder, _, names in os.walk(root):
        prefix = Path(folder).relative_to(root).as_posix()
        for name in names:
            yield name if prefix == "." else f"{prefix}/{name}"


def _tag_text(tag: Any, field: str) -> str:
    # pyelftools sets .needed/.rpath/.runpath on the tag object itself, untyped.
    return str(getattr(tag, field))


def _numbers(text: str) -> tuple[int, ...]:
    """'3.4.24' -> (3, 4, 24); anything not purely dotted numbers -> ()."""
    parts = text.split(".")
    return tuple(int(part) for part in parts) if all(part.isdigit() for part in parts) else ()


def _version_key(version: str) -> tuple[str, tuple[int, ...]]:
    prefix, _, number = version.partition("_")
    return prefix, _numbers(number)


def _text(numbers: tuple[int, ...]) -> str:
    return ".".join(str(number) for number in numbers)
