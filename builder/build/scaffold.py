"""A new recipe from a project's requirements (any format builder.requirements reads), locked or not written.

The smoke test imports the top-level modules of what was asked for, read from each requested wheel's
RECORD (the files it installs): a distribution's name is often not its module's (python-dateutil
installs `dateutil`, scikit-learn `sklearn`), and top_level.txt is written only by setuptools.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from builder import files
from builder.build import install, lock
from builder.errors import RecipeError
from builder.layer import distinfo
from builder.recipe import Recipe, parse_recipe
from builder.requirements import environments
from builder.requirements.model import Found
from builder.requirements.read import Source, read
from builder.runtimes import ARCHITECTURES, Target, get_target, runtimes

# Folders some wheels install at the top level that are not meant to be imported.
NOT_MODULES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "bin"})


def recipe_text(
    *,
    requirements: Sequence[str],
    runtimes: Sequence[str],
    architectures: Sequence[str],
    imports: Sequence[str],
    source: str,
    description: str | None = None,
) -> str:
    """A recipe with the defaults most layers want; every value is one the user may edit."""
    if description is None:
        description = ", ".join(Requirement(r).name for r in requirements)

    def array(values: Iterable[str]) -> str:
        return "[" + ", ".join(json.dumps(v) for v in values) + "]"

    return "\n".join(
        [
            f"# Written by `layer-builder new` from {source}. Edit freely; `layer-builder lock` after changing",
            "# the requirements.",
            "[layer]",
            f"description = {json.dumps(description)}",
            f"requirements = {array(requirements)}",
            f"runtimes = {array(runtimes)}",
            f"architectures = {array(architectures)}",
            'license = ""  # the licenses of what the layer bundles, for the layer version\'s metadata',
            "# Room left for the function's own code and other layers under Lambda's size limit.",
            "headroom_mb = 50",
            "",
            "[build]",
            "# auto: .py sources kept beside the bytecode while the layer fits; the largest packages go",
            "# sourceless (bytecode only) when it does not. pyc: always keep sources; sourceless: never.",
            'bytecode = "auto"',
            "",
            "[smoke]",
            "# Add a script that does real work: what it reads is kept when minimizing.",
            f"imports = {array(imports)}",
            "",
        ]
    )


def top_level_modules(record_paths: Iterable[str]) -> list[str]:
    """The importable top-level names of a wheel from the paths in its RECORD.

    A folder without __init__.py is a namespace package: its subpackages are named instead
    (google/protobuf/__init__.py gives google.protobuf).
    """
    paths = {p for p in record_paths if p and not p.startswith("..")}
    names: set[str] = set()
    for path in paths:
        top, _, rest = path.partition("/")
        if top.endswith((".dist-info", ".data")) or "__pycache__" in path:
            continue
        if not rest:
            if top.endswith(".py"):
                names.add(top.removesuffix(".py"))
            elif ".so" in top or top.endswith(".pyd"):
                names.add(top.split(".", 1)[0])
        elif f"{top}/__init__.py" in paths:
            names.add(top)
        else:
            sub = rest.split("/", 1)[0]
            if f"{top}/{sub}/__init__.py" in paths:
                names.add(f"{top}.{sub}")
    public = sorted(n for n in names if n.split(".")[-1] not in NOT_MODULES and not n.startswith("_"))
    return public or sorted(n for n in names if n.split(".")[-1] not in NOT_MODULES)


def requested_modules(locked: lock.Lock, target: Target, names: Iterable[str] | None = None) -> list[str]:
    """Install the requested wheels of a lock (or those `names`) in a scratch folder and name their modules."""
    wanted_names = set(names) if names is not None else None
    requested = tuple(
        p for p in locked.packages if (p.requested if wanted_names is None else p.name in wanted_names)
    )
    subset = lock.Lock(target_key=locked.target_key, recipe_fingerprint="", packages=requested)
    with tempfile.TemporaryDirectory(prefix="layer-builder-new-") as tmp:
        lock_path = Path(tmp) / "requested.txt"
        lock_path.write_text(lock.render(subset, recipe_name="new", target=target), encoding="utf-8")
        site = Path(tmp) / "site"
        install.install_locked(lock_path, target, site)
        modules: list[str] = []
        wanted = {p.name for p in requested}
        for record in sorted(site.glob("*.dist-info/RECORD")):
            if distinfo.distribution(record.parent.name) in wanted:
                modules += top_level_modules(distinfo.record_paths(record.read_text(encoding="utf-8")))
    return sorted(dict.fromkeys(modules))


@dataclass(frozen=True, kw_only=True)
class NewRecipe:
    path: Path
    imports: tuple[str, ...]
    locks: tuple[Path, ...]
    warnings: tuple[str, ...]  # e.g. GPU-only distributions in a lock
    notes: tuple[str, ...] = ()  # what reading the source left out, and why
    requirements: tuple[str, ...] = ()


def default_runtimes(today: dt.date) -> tuple[str, ...]:
    """Every runtime Lambda still supports today: a new layer should not start on a deprecated one."""
    return tuple(name for name, runtime in runtimes().items() if not runtime.is_deprecated(today))


def supported_environments() -> tuple[dict[str, str], ...]:
    """The marker environment of every target layer-builder can build, deprecated runtimes included."""
    return environments.target_environments(get_target(r, a) for r in runtimes() for a in ARCHITECTURES)


def new_recipe(
    *,
    name: str,
    source: Source,
    folder: Path,
    targets: Sequence[tuple[str, str]],  # (runtime, architecture)
    resolver: lock.Resolver,
    force: bool = False,
) -> NewRecipe:
    """Write folder/NAME.toml and its locks for every target, or nothing at all.

    Everything is made in a scratch folder next to the destination and moved into place only once
    every target locked: a failed `new` leaves nothing behind, so the corrected command just works.
    """
    path = folder / f"{name}.toml"
    if path.exists() and not force:
        raise RecipeError(
            f"{path} exists already",
            hint="pick another name, edit that recipe, or pass --force to replace it",
        )
    found = read(source, supported_environments())
    stage = Path(tempfile.mkdtemp(prefix=f".new-{name}-", dir=_existing_ancestor(folder)))
    try:
        made = _make(name, found, source.path.name, stage, targets, resolver)
        _move_into_place(stage, folder, name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return NewRecipe(
        path=path,
        imports=made.imports,
        locks=tuple(recipe_locks(folder, name) / p.name for p in made.locks),
        warnings=made.warnings,
        notes=found.notes,
        requirements=found.requirements,
    )


def recipe_locks(folder: Path, name: str) -> Path:
    return folder / "locks" / name


def _make(
    name: str,
    found: Found,
    source_name: str,
    stage: Path,
    targets: Sequence[tuple[str, str]],
    resolver: lock.Resolver,
) -> NewRecipe:
    """The recipe and its locks, written into `stage`."""
    path = stage / f"{name}.toml"
    chosen_runtimes = tuple(dict.fromkeys(r for r, _ in targets))
    chosen_archs = tuple(dict.fromkeys(a for _, a in targets))

    def write(imports: Sequence[str]) -> Recipe:
        text = recipe_text(
            requirements=found.requirements,
            runtimes=chosen_runtimes,
            architectures=chosen_archs,
            imports=imports,
            source=source_name + (" (its pinned versions)" if found.pinned else ""),
            description=", ".join(found.direct) if found.pinned else None,
        )
        files.write_text_atomic(path, text)
        return parse_recipe(path)

    recipe = write(())
    locks, warnings, first = [], [], None
    variants = lock.cpu_variants()
    for runtime, arch in targets:
        target = get_target(runtime, arch)
        resolved, lock_path = lock.create(recipe, target, resolver)
        locks.append(lock_path)
        warning = lock.gpu_warning(resolved, variants)
        if warning:
            warnings.append(warning)
        first = first or (resolved, target)
    assert first is not None  # targets is never empty
    # From a lock file every package is pinned, so every one is "requested": import only what the
    # project itself asks for.
    imports = requested_modules(*first, names=found.direct if found.pinned else None)
    write(imports)  # the smoke test does not change the lock fingerprint
    return NewRecipe(path=path, imports=tuple(imports), locks=tuple(locks), warnings=tuple(warnings))


def _existing_ancestor(folder: Path) -> Path:
    """The folder itself when it exists, else its nearest existing parent (same filesystem: renames work)."""
    candidate = folder.absolute()
    while not candidate.is_dir():
        candidate = candidate.parent
    return candidate


def _move_into_place(stage: Path, folder: Path, name: str) -> None:
    """Move the staged locks, then the recipe, over whatever an earlier recipe of that name left."""
    folder.mkdir(parents=True, exist_ok=True)
    locks = recipe_locks(folder, name)
    locks.parent.mkdir(exist_ok=True)
    old = None
    if locks.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=locks.parent))
        os.replace(locks, old / name)
    os.replace(recipe_locks(stage, name), locks)
    os.replace(stage / f"{name}.toml", folder / f"{name}.toml")
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
