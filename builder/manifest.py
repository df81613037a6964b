"""manifest.json: what a layer is, what it holds and how it was checked. Written beside layer.zip.

The build writes it; publishing, inspecting and the build cache read it. All of them go through
`Manifest`, never through string keys. The JSON shape is described by data/manifest.schema.json,
which `read` validates against; `schema` is bumped whenever a field changes meaning or goes away,
and a reader refuses any schema but its own with a message that says what to do.
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from builder.errors import ManifestError

SCHEMA = 2
MANIFEST = "manifest.json"
LAYER_ZIP = "layer.zip"
# Written by publish beside layer.zip: where that zip (by its CodeSha256) was published.
PUBLISHED = "published.json"

Backend = Literal["local", "docker"]
# auto: .py sources beside their bytecode while the layer fits with its headroom; when it does
# not, the largest packages go sourceless one by one until it fits (Bytecode.sourceless names them).
BytecodeMode = Literal["auto", "pyc", "sourceless", "none"]
BytecodeStatus = Literal["compiled", "skipped"]
SmokeStatus = Literal["passed", "failed", "not run"]
# How the smoke test's interpreter ran: this machine's own CPU, an emulator (qemu-user), a container.
RunMethod = Literal["native", "emulated", "container"]


@dataclass(frozen=True, kw_only=True)
class LockInfo:
    path: str  # the lock file's name
    sha256: str


@dataclass(frozen=True, kw_only=True)
class Size:
    unzipped_bytes: int
    zipped_bytes: int
    file_count: int
    unzipped_limit_bytes: int
    headroom_bytes: int
    direct_upload: bool  # small enough for PublishLayerVersion without S3


@dataclass(frozen=True, kw_only=True)
class ZipDigest:
    sha256: str  # hex
    code_sha256: str  # base64, as Lambda reports CodeSha256


@dataclass(frozen=True, kw_only=True)
class SizeEntry:
    name: str
    bytes: int


@dataclass(frozen=True, kw_only=True)
class RuleTotal:
    files: int
    bytes: int


@dataclass(frozen=True, kw_only=True)
class PackageTotal:
    kept_bytes: int
    removed_bytes: int
    removed_files: int


@dataclass(frozen=True, kw_only=True)
class KeptFile:
    """A file a removal rule matched but the build kept, and why (e.g. the smoke test opened it)."""

    path: str
    rule: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Minimize:
    removed_files: int
    removed_bytes: int
    stripped_files: int
    strip_saved_bytes: int
    strip: str  # "applied" or why not
    strip_restored: tuple[str, ...] = ()
    by_rule: dict[str, RuleTotal] = field(default_factory=dict)
    by_package: dict[str, PackageTotal] = field(default_factory=dict)
    identical_libraries: tuple[tuple[str, ...], ...] = ()
    kept: tuple[KeptFile, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SourcelessPackage:
    """A distribution whose .py sources an `auto` build dropped (bytecode only) so the layer fits."""

    name: str
    source_bytes: int  # the .py bytes dropped
    reason: str


@dataclass(frozen=True, kw_only=True)
class Bytecode:
    mode: BytecodeMode
    status: BytecodeStatus
    reason: str
    interpreter: str | None
    invalidation: str | None
    failed: tuple[str, ...] = ()
    # auto mode: the packages that went sourceless, largest first (empty: every package kept its sources)
    sourceless: tuple[SourcelessPackage, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ElfWarning:
    """An ELF problem that does not fail the build (say, a library a plain install lacks as well)."""

    path: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class ElfCheck:
    status: Literal["passed"]
    elf_files: int
    machine: str
    glibc: str  # "2.34"
    warnings: tuple[ElfWarning, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Smoke:
    status: SmokeStatus
    reason: str
    interpreter: str | None = None
    method: RunMethod | None = None
    seconds: float | None = None
    imports: tuple[str, ...] = ()  # the recipe's smoke imports, for import-time breakdowns
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Verification:
    elf: ElfCheck
    smoke: Smoke


@dataclass(frozen=True, kw_only=True)
class PackageIndexes:
    """The package indexes a recipe names (`[layer] index_url`, `extra_index_urls`, `find_links`),
    used by lock and build alike; empty: pip's own configuration."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.index_url or self.extra_index_urls or self.find_links)


@dataclass(frozen=True, kw_only=True)
class Manifest:
    schema: int = SCHEMA
    recipe: str
    recipe_hash: str
    description: str
    license: str
    runtime: str  # "python3.12"
    arch: str  # "x86_64" | "arm64"
    os: str
    glibc: str
    backend: Backend
    build_image: str | None
    tool_version: str
    build_key: str
    lock: LockInfo
    packages: dict[str, str]  # distribution name -> version, everything in the layer
    requested: tuple[str, ...]  # the recipe's own requirements (names), the "main pins"
    size: Size
    zip: ZipDigest
    largest: tuple[SizeEntry, ...]
    minimize: Minimize
    bytecode: Bytecode
    verification: Verification
    indexes: PackageIndexes = field(default_factory=PackageIndexes)

    @property
    def target(self) -> str:
        return f"{self.runtime}-{self.arch}"

    @property
    def verified(self) -> bool:
        """Every check that ran passed (a smoke test that could not run is not a failure)."""
        return self.verification.elf.status == "passed" and self.verification.smoke.status != "failed"

    def to_json(self) -> dict[str, Any]:
        return _to_json(self)  # type: ignore[no-any-return]

    @classmethod
    def from_json(cls, data: dict[str, Any], *, source: str = "manifest", validate: bool = True) -> Manifest:
        """Check the schema version, validate against the shipped JSON Schema, build the type.

        validate=False is for the build cache, which reads what this tool wrote a moment ago and
        must answer in well under a second: importing jsonschema alone costs 70 ms. A document that
        does not fit the type still fails (and the cache rebuilds).
        """
        version = data.get("schema") if isinstance(data, dict) else None
        if version != SCHEMA:
            raise _wrong_schema(version, source)
        if validate:
            _validate(data, source)
        try:
            return _from_json(cls, data)  # type: ignore[no-any-return]
        except (KeyError, TypeError, AttributeError, StopIteration) as exc:
            raise ManifestError(
                f"{source} does not fit the manifest type: {exc!r}", hint="rebuild the layer"
            ) from exc


def _wrong_schema(version: object, source: str) -> ManifestError:
    if isinstance(version, int) and version > SCHEMA:
        return ManifestError(
            f"{source} has manifest schema {version}; this layer-builder reads schema {SCHEMA}",
            hint="upgrade layer-builder (pip install -U layer-builder)",
        )
    return ManifestError(
        f"{source} has manifest schema {version!r}; this layer-builder reads schema {SCHEMA}",
        hint="rebuild the layer with this layer-builder (layer-builder build RECIPE --runtime R --arch A)",
    )


@cache
def json_schema() -> dict[str, Any]:
    text = resources.files("builder").joinpath("data/manifest.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _validate(data: dict[str, Any], source: str) -> None:
    import jsonschema  # only readers pay for it; a cached build does not read through here

    errors = sorted(
        jsonschema.Draft202012Validator(json_schema()).iter_errors(data), key=lambda e: list(e.path)
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ManifestError(
            f"{source} does not match the manifest schema at {where}: {first.message}",
            hint="rebuild the layer; a manifest is written by `layer-builder build` and not meant to be edited",
        )


# ---------------------------------------------------------------- files


def write(path: Path, manifest: Manifest) -> None:
    path.write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")


def load(path: Path, *, validate: bool = True) -> Manifest:
    """The manifest at path; a ManifestError says what is wrong and what to do."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(
            f"no manifest at {path}", hint="build the layer first: layer-builder build RECIPE"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read {path}: {exc}", hint="rebuild the layer") from exc
    return Manifest.from_json(data, source=str(path), validate=validate)


def read(path: Path) -> Manifest | None:
    """The manifest at path, or None when there is none usable (the build cache's question)."""
    try:
        return load(path, validate=False)
    except ManifestError:
        return None


def layer_dir(root: Path, recipe: str, target: str) -> Path:
    """Where `build` writes a target's layer.zip and manifest.json: ROOT/<recipe>/<runtime>-<arch>."""
    return root / recipe / target


def built_targets(root: Path, recipe: str) -> dict[str, Path]:
    """The targets of `recipe` built under root (folders holding a manifest or a layer zip), by key."""
    folder = root / recipe
    if not folder.is_dir():
        return {}
    return {
        child.name: child
        for child in sorted(folder.iterdir())
        if child.is_dir()
        and not child.name.startswith(".")  # a build's staging folders
        and ((child / MANIFEST).exists() or (child / LAYER_ZIP).exists())
    }


def largest_entries(site: Path, count: int = 10) -> tuple[SizeEntry, ...]:
    """The top-level folders/files of python/ by bytes: what to look at when a layer is too big."""
    sizes: dict[str, int] = defaultdict(int)
    for path in site.rglob("*"):
        if path.is_file():
            sizes[path.relative_to(site).parts[0]] += path.stat().st_size
    ranked = sorted(sizes.items(), key=lambda item: -item[1])[:count]
    return tuple(SizeEntry(name=name, bytes=size) for name, size in ranked)


# ---------------------------------------------------------------- dataclass <-> JSON


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_to_json(item) for item in value]
    return value


def _from_json(kind: Any, data: Any) -> Any:
    """Build `kind` (a dataclass, tuple[...], dict[str, ...], Optional, Literal or scalar) from JSON."""
    origin = get_origin(kind)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = get_type_hints(kind)
        return kind(
            **{
                f.name: _from_json(hints[f.name], data[f.name])
                for f in dataclasses.fields(kind)
                if f.name in data
            }
        )
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        return _from_json(next(a for a in get_args(kind) if a is not type(None)), data)
    if origin is tuple:
        item = get_args(kind)[0]
        return tuple(_from_json(item, element) for element in data)
    if origin is dict:
        item = get_args(kind)[1]
        return {key: _from_json(item, element) for key, element in data.items()}
    if kind is float and isinstance(data, int):
        return float(data)
    return data  # str, int, bool, Literal: the schema already checked them


DESCRIPTION_MAX = 256  # Lambda's limit for a layer version's Description


def layer_description(manifest: Manifest) -> str:
    """A layer version's Description, whoever publishes it (publish, the CDK construct): what `aws
    lambda list-layer-versions` shows, the recipe, the main pins and the content hash.

    The hash is the zip's sha256 (hex), so a version can be matched to a build without downloading
    it; pins that do not fit in Lambda's 256 characters are left out, the hash never is."""
    head = f"{manifest.recipe} {manifest.runtime} {manifest.arch}"
    tail = f"sha256:{manifest.zip.sha256}"
    pins = [f"{name}=={manifest.packages[name]}" for name in manifest.requested if name in manifest.packages]
    room = DESCRIPTION_MAX - len(head) - len(tail) - len(" |  | ")
    shown: list[str] = []
    for pin in pins:
        if len(" ".join([*shown, pin])) > room - 4:  # keep room for " ..."
            shown.append("...")
            break
        shown.append(pin)
    text = " | ".join(part for part in (head, " ".join(shown), tail) if part)
    if len(text) > DESCRIPTION_MAX:  # a very long recipe name: keep the hash, cut the name
        text = text[-DESCRIPTION_MAX:]
    return text
