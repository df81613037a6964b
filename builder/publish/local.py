"""The layers `build` wrote, found and checked before anything is sent to AWS.

`layers/<recipe>/<runtime>-<arch>/{layer.zip, manifest.json}`: a layer is published only when its
manifest is readable and of this tool's schema, its checks passed, and the zip still has the
sha256 the manifest recorded (a zip edited after the build is not the layer that was verified).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from builder import manifest as manifest_module
from builder.errors import ConfigError, ManifestError, RecipeError
from builder.manifest import LAYER_ZIP, MANIFEST, Manifest, layer_description
from builder.publish import assembled, naming
from builder.recipe import recipe_files
from builder.runtimes import get_architecture, get_runtime
from builder.suggest import did_you_mean
from builder.zips import file_sha256


@dataclass(frozen=True, kw_only=True)
class LocalLayer:
    """One built target, checked, with the name and description it is published under."""

    folder: Path
    manifest: Manifest
    name: str
    description: str

    @property
    def zip_path(self) -> Path:
        return self.folder / LAYER_ZIP

    @property
    def target(self) -> str:
        return self.manifest.target

    @property
    def code_sha256(self) -> str:
        return self.manifest.zip.code_sha256

    @property
    def size(self) -> int:
        return self.manifest.size.zipped_bytes


def find(
    recipe: str,
    layers_root: Path,
    recipe_dirs: Sequence[Path],
    runtimes: Sequence[str] = (),
    archs: Sequence[str] = (),
    name_template: str = naming.DEFAULT_LAYER_NAME,
) -> list[LocalLayer]:
    """Every built target of the recipe (narrowed by runtimes/archs), checked; raises for the
    first problem so that nothing is published when one layer is not fit to be."""
    runtimes = [get_runtime(r).name for r in runtimes]
    archs = [get_architecture(a).name for a in archs]
    folder = layers_root / recipe
    found = assembled.copies(layers_root, recipe)
    built = {key: folders[0] for key, folders in found.items()}
    if not built and not folder.is_dir():
        raise _not_built(recipe, layers_root, recipe_dirs)
    wanted = [
        key
        for key in built
        if (not runtimes or _runtime(key) in runtimes) and (not archs or _arch(key) in archs)
    ]
    _check_requested(recipe, built, runtimes, archs, folder)
    if not wanted:
        raise ConfigError(
            f"no built layer of {recipe} in {folder}",
            hint=f"build it first: layer-builder build {recipe}",
        )
    chosen = {key: assembled.pick(recipe, key, found[key]) for key in wanted}
    layers = [check(chosen[key], recipe, name_template, target=key) for key in wanted]
    naming.check_unique([(layer.name, layer.target) for layer in layers])
    return layers


def check(folder: Path, recipe: str, name_template: str, target: str | None = None) -> LocalLayer:
    """Read and check one built target's manifest and zip (`target`: what the folder should hold,
    by default its name, as `build` writes it)."""
    target = target or folder.name
    found = manifest_module.load(folder / MANIFEST)
    if found.recipe != recipe or found.target != target:
        raise ManifestError(
            f"{folder / MANIFEST} describes {found.recipe} {found.target}, not {recipe} {target}",
            hint=f"rebuild it: {_build_command(recipe, target)}",
        )
    if not found.verified:
        smoke = found.verification.smoke
        detail = f"smoke test {smoke.status}: {'; '.join(smoke.failures) or smoke.reason}"
        raise ManifestError(
            f"{target} of {recipe} failed its verification ({detail}); it is not published",
            hint=f"fix the recipe and rebuild: {_build_command(recipe, target)}",
        )
    zip_path = folder / LAYER_ZIP
    if not zip_path.is_file():
        raise ManifestError(f"{zip_path} is missing", hint=f"rebuild it: {_build_command(recipe, target)}")
    _check_digests(found, folder / MANIFEST, _build_command(recipe, target))
    actual = file_sha256(zip_path).hex()
    if actual != found.zip.sha256:
        raise ManifestError(
            f"{zip_path} changed after the build: its sha256 is {actual}, the manifest recorded "
            f"{found.zip.sha256}",
            hint=f"a changed zip is not the layer that was verified; rebuild it: {_build_command(recipe, target)}",
        )
    return LocalLayer(
        folder=folder,
        manifest=found,
        name=naming.layer_name(name_template, found),
        description=layer_description(found),
    )


def _check_digests(found: Manifest, path: Path, rebuild: str) -> None:
    """The manifest holds one digest twice (hex sha256 and base64 CodeSha256): a manifest edited to
    match a changed zip rarely gets both right, and Lambda compares the published content with the
    base64 one."""
    try:
        same = base64.b64encode(bytes.fromhex(found.zip.sha256)).decode() == found.zip.code_sha256
    except ValueError:
        same = False
    if not same:
        raise ManifestError(
            f"{path} does not agree with itself: zip.sha256 {found.zip.sha256} and zip.code_sha256 "
            f"{found.zip.code_sha256} are not the same digest",
            hint=f"the manifest was edited after the build; rebuild it: {rebuild}",
        )


def warnings(layer: LocalLayer, today: dt.date) -> list[str]:
    """What a user should know before relying on this layer: a runtime Lambda is retiring."""
    runtime = get_runtime(layer.manifest.runtime)
    if today >= runtime.block_update:
        return [
            f"{runtime.name} is deprecated: Lambda has blocked creating functions on it since "
            f"{runtime.block_create} and updating them since {runtime.block_update}, so no function can "
            "start using this layer; move the recipe to a newer runtime"
        ]
    if today >= runtime.block_create:
        return [
            f"{runtime.name} is deprecated: Lambda has blocked creating functions on it since "
            f"{runtime.block_create} and blocks updating them from {runtime.block_update}"
        ]
    if today >= runtime.deprecated:
        return [
            f"{runtime.name} is deprecated since {runtime.deprecated}; updates end {runtime.block_update}"
        ]
    return []


def _runtime(key: str) -> str:
    return key.rsplit("-", 1)[0]


def _arch(key: str) -> str:
    return key.rsplit("-", 1)[-1]


def _check_requested(
    recipe: str, built: dict[str, Path], runtimes: Sequence[str], archs: Sequence[str], folder: Path
) -> None:
    """A target asked for by name must be built: with both --runtime and --arch every combination,
    with one of them each value at least once."""
    if runtimes and archs:
        missing = [f"{r}-{a}" for r in runtimes for a in archs if f"{r}-{a}" not in built]
    else:
        missing = [r for r in runtimes if not any(_runtime(k) == r for k in built)]
        missing += [a for a in archs if not any(_arch(k) == a for k in built)]
    if missing:
        have = ", ".join(built) or "nothing"
        raise ConfigError(
            f"{recipe} has no built layer for {', '.join(missing)} in {folder} (built: {have})",
            hint=f"build it first: {_build_command(recipe, missing[0])}",
        )


def _build_command(recipe: str, target: str) -> str:
    if "-" not in target:
        flag = "-a" if target in ("x86_64", "arm64") else "-r"
        return f"layer-builder build {recipe} {flag} {target}"
    return f"layer-builder build {recipe} -r {_runtime(target)} -a {_arch(target)}"


def _not_built(recipe: str, layers_root: Path, recipe_dirs: Sequence[Path]) -> Exception:
    known = set(recipe_files(recipe_dirs))
    if recipe in known:
        return ConfigError(
            f"{recipe} has not been built: there is no {layers_root / recipe}",
            hint=f"build it first: layer-builder build {recipe}",
        )
    built = {p.name for p in layers_root.iterdir() if p.is_dir()} if layers_root.is_dir() else set()
    where = ", ".join(str(d) for d in recipe_dirs)
    return RecipeError(
        f"no recipe or built layer named {recipe!r}{did_you_mean(recipe, known | built)} "
        f"(looked in {where} and {layers_root})",
        hint="`layer-builder recipes list` shows the recipes; build one with `layer-builder build RECIPE`",
    )
