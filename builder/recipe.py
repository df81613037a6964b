"""Recipes: the TOML files in recipes/ that describe a layer. Parsed once, at the boundary.

Every error names the file and the dotted key; unknown keys are rejected with a suggestion,
so a typo never silently turns into a default.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast, get_args

from packaging.requirements import InvalidRequirement, Requirement

from builder import tomlload
from builder.errors import RecipeError
from builder.manifest import Backend, BytecodeMode, PackageIndexes
from builder.runtimes import ARCHITECTURES, runtimes
from builder.suggest import did_you_mean

BYTECODE_MODES: tuple[BytecodeMode, ...] = get_args(BytecodeMode)
# Sources beside the bytecode while the layer fits; sourceless package by package when it does not.
DEFAULT_BYTECODE: BytecodeMode = "auto"
BACKENDS: tuple[Backend, ...] = get_args(Backend)
# Bump when the lock resolution changes meaning: every lock then reads as stale.
LOCK_FORMAT = 1


@dataclass(frozen=True, kw_only=True)
class PackageRules:
    """Per-package minimize rules. Paths are globs relative to the layer's python/ folder."""

    keep: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MinimizeConfig:
    enabled: bool = True
    strip: bool = True
    # Drop packages the Lambda runtime already ships (boto3, botocore, ...) unless the recipe
    # lists them in its own requirements.
    drop_runtime_provided: bool = True
    keep: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    packages: dict[str, PackageRules] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SmokeTest:
    imports: tuple[str, ...] = ()
    script: str = ""
    timeout_seconds: int = 600


@dataclass(frozen=True, kw_only=True)
class Recipe:
    name: str
    path: Path
    description: str
    requirements: tuple[str, ...]
    runtimes: tuple[str, ...]
    architectures: tuple[str, ...]
    license: str
    headroom_bytes: int
    bytecode: BytecodeMode
    backends: tuple[Backend, ...]
    minimize: MinimizeConfig
    smoke: SmokeTest
    # Shared libraries (sonames) copied from the build image into the layer's lib/ with their licenses,
    # for wheels that need a library Lambda does not have (docker backend only).
    system_libraries: tuple[str, ...] = ()
    # Where pip looks for the locked packages, for lock and build alike (e.g. a CPU-only index).
    indexes: PackageIndexes = field(default_factory=PackageIndexes)

    @property
    def requirement_names(self) -> frozenset[str]:
        return frozenset(_canonical(Requirement(r).name) for r in self.requirements)

    def lock_fingerprint(self) -> str:
        """What a lock depends on. Changing the smoke test or minimize rules does not stale a lock."""
        fields: dict[str, object] = {"format": LOCK_FORMAT, "requirements": list(self.requirements)}
        if self.indexes:  # only when named, so the locks of recipes without indexes stay fresh
            fields["indexes"] = dataclasses.asdict(self.indexes)
        payload = json.dumps(fields)
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()

    def content_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.path.read_bytes()).hexdigest()

    def lock_path(self, target_key: str) -> Path:
        return self.path.parent / "locks" / self.name / f"{target_key}.txt"


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


# ---------------------------------------------------------------- schema checking helpers


class _Problems:
    """Every mistake found in one recipe file, so one run reports them all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[tuple[str, str | None]] = []  # (message naming the key, hint)

    def add(self, message: str, hint: str | None = None) -> None:
        self.items.append((message, hint))

    def raise_any(self) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            message, hint = self.items[0]
            raise RecipeError(f"{self.path}: {message}", hint=hint)
        lines = [f"{message}; {hint}" if hint else message for message, hint in self.items]
        raise RecipeError(
            f"{self.path}: {len(self.items)} problems:\n" + "\n".join(f"  - {line}" for line in lines),
            hint="fix each of them; every problem of the file is listed",
        )


class _Section:
    """A TOML table being read, which remembers the keys it was asked for. A mistake is recorded in
    `problems` and a default stands in for the value, so that reading goes on to the next key."""

    def __init__(self, problems: _Problems, prefix: str, data: Any) -> None:
        if not isinstance(data, dict):
            problems.add(f"'{prefix}' must be a table")
            data = {}
        self.problems, self.prefix, self.data = problems, prefix, data

    def _where(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, message: str, hint: str | None = None) -> None:
        self.problems.add(f"'{self._where(key)}' {message}", hint)

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for key in self.data:
            if key not in allowed:
                self.problems.add(
                    f"unknown key '{self._where(key)}'{did_you_mean(key, allowed)}",
                    hint=f"allowed keys here: {', '.join(allowed)}",
                )

    def string(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            self.fail(key, "is required")
            return ""
        if not isinstance(value, str):
            self.fail(key, f"must be a string, not {type(value).__name__}")
            return default or ""
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
            return default
        return value

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(key, f"must be a whole number >= {minimum}")
            return default
        return value

    def strings(self, key: str, default: Sequence[str] | None = None) -> tuple[str, ...]:
        value = self.data.get(key, list(default) if default is not None else None)
        if value is None:
            self.fail(key, "is required")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of strings")
            return tuple(default or ())
        return tuple(value)

    def choices(self, key: str, allowed: Sequence[str], default: Sequence[str]) -> tuple[str, ...]:
        values = self.strings(key, default)
        for value in values:
            if value not in allowed:
                self.fail(
                    key,
                    f"has {value!r}{did_you_mean(value, allowed)}; allowed: {', '.join(allowed)}",
                )
        if not values and key in self.data:
            self.fail(key, "must not be empty")
        return tuple(v for v in values if v in allowed) or tuple(default)

    def section(self, key: str) -> _Section:
        return _Section(self.problems, self._where(key), self.data.get(key, {}))


# ---------------------------------------------------------------- parsing

_TOP = ("layer", "build", "minimize", "smoke")
_LAYER = (
    "description",
    "requirements",
    "runtimes",
    "architectures",
    "license",
    "headroom_mb",
    "system_libraries",
    "index_url",
    "extra_index_urls",
    "find_links",
)
_BUILD = ("bytecode", "backends")
_MINIMIZE = ("enabled", "strip", "drop_runtime_provided", "keep", "remove", "packages")
_PACKAGE = ("keep", "remove")
_SMOKE = ("imports", "script", "timeout_seconds")


def parse_recipe(path: Path) -> Recipe:
    """Read and validate one recipe file. The recipe's name is the file's stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError(f"{path}: cannot read recipe: {exc.strerror}") from exc
    try:
        data = tomlload.loads(text)
    except tomlload.TOMLDecodeError as exc:
        raise RecipeError(f"{path}: not valid TOML: {exc}") from exc

    problems = _Problems(path)
    top = _Section(problems, "", data)
    top.check_keys(_TOP)
    layer = top.section("layer")
    layer.check_keys(_LAYER)
    requirements = layer.strings("requirements")
    if not requirements and "requirements" in layer.data:
        layer.fail("requirements", "must list at least one requirement")
    for requirement in requirements:
        try:
            Requirement(requirement)
        except InvalidRequirement as exc:
            layer.fail("requirements", f"has an invalid requirement {requirement!r}: {exc}")

    build = top.section("build")
    build.check_keys(_BUILD)
    bytecode = build.string("bytecode", DEFAULT_BYTECODE)
    if bytecode not in BYTECODE_MODES:
        build.fail(
            "bytecode",
            f"is {bytecode!r}{did_you_mean(bytecode, BYTECODE_MODES)}; allowed: {', '.join(BYTECODE_MODES)}",
        )

    recipe = Recipe(
        name=path.stem,
        path=path.resolve(),
        description=layer.string("description", ""),
        requirements=requirements,
        runtimes=layer.choices("runtimes", list(runtimes()), list(runtimes())),
        architectures=layer.choices("architectures", ARCHITECTURES, ARCHITECTURES),
        license=layer.string("license", ""),
        headroom_bytes=layer.integer("headroom_mb", 0) * 1_000_000,
        bytecode=cast(BytecodeMode, bytecode),
        backends=cast(tuple[Backend, ...], build.choices("backends", BACKENDS, BACKENDS)),
        minimize=_parse_minimize(top.section("minimize")),
        smoke=_parse_smoke(top.section("smoke")),
        system_libraries=_system_libraries(layer),
        indexes=_indexes(layer, path.resolve().parent),
    )
    problems.raise_any()  # every mistake of the file at once, not one per run
    return recipe


def _indexes(layer: _Section, folder: Path) -> PackageIndexes:
    """The recipe's package indexes; a find_links folder may be relative to the recipe's folder."""
    index_url = layer.data.get("index_url")
    if index_url is not None:
        index_url = layer.string("index_url")
        if not index_url:
            layer.fail("index_url", "must not be empty")
            index_url = None
    links = []
    for link in layer.strings("find_links", ()):
        if "://" in link:
            links.append(link)
            continue
        where = (folder / link).resolve()
        if not where.exists():
            layer.fail("find_links", f"has {link!r}, which does not exist (looked at {where})")
        links.append(str(where))
    return PackageIndexes(
        index_url=index_url,
        extra_index_urls=layer.strings("extra_index_urls", ()),
        find_links=tuple(links),
    )


def _system_libraries(layer: _Section) -> tuple[str, ...]:
    names = layer.strings("system_libraries", ())
    for name in names:
        if "/" in name or ".so" not in name:
            layer.fail("system_libraries", f"has {name!r}; list library file names like 'libgomp.so.1'")
    return names


def _parse_minimize(section: _Section) -> MinimizeConfig:
    section.check_keys(_MINIMIZE)
    packages_section = section.section("packages")
    packages: dict[str, PackageRules] = {}
    for name in packages_section.data:
        rules = packages_section.section(name)
        rules.check_keys(_PACKAGE)
        packages[_canonical(name)] = PackageRules(
            keep=rules.strings("keep", ()), remove=rules.strings("remove", ())
        )
    return MinimizeConfig(
        enabled=section.boolean("enabled", True),
        strip=section.boolean("strip", True),
        drop_runtime_provided=section.boolean("drop_runtime_provided", True),
        keep=section.strings("keep", ()),
        remove=section.strings("remove", ()),
        packages=packages,
    )


def _parse_smoke(section: _Section) -> SmokeTest:
    section.check_keys(_SMOKE)
    return SmokeTest(
        imports=section.strings("imports", ()),
        script=section.string("script", ""),
        timeout_seconds=section.integer("timeout_seconds", 600, minimum=1),
    )


# ---------------------------------------------------------------- finding recipes


SHIPPED = "shipped"


def shipped_dir() -> Path:
    """The recipes that ship with the tool, with their locks (package data: builder/recipes)."""
    return Path(str(resources.files("builder").joinpath("recipes")))


def search_dirs(given: Sequence[Path] | None, cwd: Path) -> list[Path]:
    """The folders a recipe name is looked up in: the user's (or ./recipes), then the shipped ones."""
    folders = [*(given or [cwd / "recipes"]), shipped_dir()]
    unique: dict[Path, Path] = {}
    for folder in folders:
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


def source_of(recipe: Recipe) -> str:
    """Where a recipe came from: "shipped", or the folder it was found in."""
    return SHIPPED if recipe.path.parent == shipped_dir().resolve() else str(recipe.path.parent)


def recipe_files(search_dirs: Sequence[Path]) -> dict[str, Path]:
    """Every recipe in the search folders by name; an earlier folder wins over a later one."""
    found: dict[str, Path] = {}
    for folder in search_dirs:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found.setdefault(path.stem, path)
    return found


def find_recipe(name_or_path: str, search_dirs: Sequence[Path]) -> Recipe:
    """A recipe by name (searched in the folders) or by path to a .toml file."""
    candidate = Path(name_or_path)
    if name_or_path.endswith(".toml") or candidate.is_file():
        if not candidate.is_file():
            raise RecipeError(f"recipe file {name_or_path} does not exist")
        return parse_recipe(candidate)
    known = recipe_files(search_dirs)
    if name_or_path not in known:
        where = ", ".join(str(d) for d in search_dirs) or "(no folders)"
        raise RecipeError(
            f"no recipe named {name_or_path!r}{did_you_mean(name_or_path, known)} in {where}",
            hint="`layer-builder recipes list` shows what there is; pass a path to use your own .toml file, "
            "or --recipes DIR to search another folder",
        )
    return parse_recipe(known[name_or_path])
