"""A new recipe from a requirements file: the recipe text, and the modules its smoke test imports.

The smoke test imports the top-level modules of what was asked for, read from each requested wheel's
RECORD (the files it installs): a distribution's name is often not its module's (python-dateutil
installs `dateutil`, scikit-learn `sklearn`), and top_level.txt is written only by setuptools.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from builder.build import install, lock
from builder.errors import RecipeError
from builder.layer import distinfo
from builder.recipe import Recipe, parse_recipe
from builder.runtimes import Target, get_target, runtimes

# Folders some wheels install at the top level that are not meant to be imported.
NOT_MODULES = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "benchmarks", "bin"})


def read_requirements(path: Path) -> tuple[str, ...]:
    """The requirement lines of a requirements file; pip options are refused (they belong in pip's config)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RecipeError(f"cannot read {path}: {exc.strerror}") from exc
    found: list[str] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            raise RecipeError(
                f"{path}:{number}: pip option {line.split()[0]!r} cannot go into a recipe",
                hint="list requirements only; index and find-links options go into pip's configuration",
            )
        try:
            Requirement(line)
        except InvalidRequirement as exc:
            raise RecipeError(f"{path}:{number}: not a requirement: {exc}") from exc
        found.append(line)
    if not found:
        raise RecipeError(f"{path} lists no requirements")
    return tuple(found)


def recipe_text(
    *,
    requirements: Sequence[str],
    runtimes: Sequence[str],
    architectures: Sequence[str],
    imports: Sequence[str],
    source: str,
) -> str:
    """A recipe with the defaults most layers want; every value is one the user may edit."""

    def array(values: Iterable[str]) -> str:
        return "[" + ", ".join(json.dumps(v) for v in values) + "]"

    return "\n".join(
        [
            f"# Written by `layer-builder new` from {source}. Edit freely; `layer-builder lock` after changing",
            "# the requirements.",
            "[layer]",
            f"description = {json.dumps(', '.join(Requirement(r).name for r in requirements))}",
            f"requirements = {array(requirements)}",
            f"runtimes = {array(runtimes)}",
            f"architectures = {array(architectures)}",
            'license = ""  # the licenses of what the layer bundles, for the layer version\'s metadata',
            "# Room left for the function's own code and other layers under Lambda's size limit.",
            "headroom_mb = 50",
            "",
            "[build]",
            'bytecode = "pyc"',
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


def requested_modules(locked: lock.Lock, target: Target) -> list[str]:
    """Install only the requested wheels of a lock in a scratch folder and name their modules."""
    requested = tuple(p for p in locked.packages if p.requested)
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


def default_runtimes(today: dt.date) -> tuple[str, ...]:
    """Every runtime Lambda still supports today: a new layer should not start on a deprecated one."""
    return tuple(name for name, runtime in runtimes().items() if not runtime.is_deprecated(today))


def new_recipe(
    *,
    name: str,
    requirements_file: Path,
    folder: Path,
    targets: Sequence[tuple[str, str]],  # (runtime, architecture)
    resolver: lock.Resolver,
) -> NewRecipe:
    """Write folder/NAME.toml, lock it for every target, then fill in the smoke test's imports."""
    path = folder / f"{name}.toml"
    if path.exists():
        raise RecipeError(f"{path} exists already", hint="pick another name, or edit that recipe")
    requirements = read_requirements(requirements_file)
    chosen_runtimes = tuple(dict.fromkeys(r for r, _ in targets))
    chosen_archs = tuple(dict.fromkeys(a for _, a in targets))

    def write(imports: Sequence[str]) -> Recipe:
        text = recipe_text(
            requirements=requirements,
            runtimes=chosen_runtimes,
            architectures=chosen_archs,
            imports=imports,
            source=requirements_file.name,
        )
        folder.mkdir(parents=True, exist_ok=True)
        lock.write_atomic(path, text)
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
    imports = requested_modules(*first)
    write(imports)  # the smoke test does not change the lock fingerprint
    return NewRecipe(path=path, imports=tuple(imports), locks=tuple(locks), warnings=tuple(warnings))
