"""`LayerBuilderLayer`: a layer-builder layer in a Python CDK app (`pip install 'layer-builder[cdk]'`).

    from builder.cdk import LayerBuilderLayer
    layer = LayerBuilderLayer(stack, "Analytics", recipe="analytics", runtime="python3.12", architecture="arm64")
    aws_lambda.Function(stack, "Fn", ..., layers=[layer])

At synth time the construct runs `layer-builder build` (in a process of its own, with this Python:
`python -m builder build ... --json`), which answers from its cache under `layers/` when nothing
changed, and makes an `aws_lambda.LayerVersion` from that exact zip: compatible runtime and
architecture and the license from the manifest, and an asset hash derived from the zip's sha256
only (AssetHashType.CUSTOM), so an unchanged layer has the same asset and is not uploaded again.

A build that fails stops the synth with layer-builder's own message and exit code
(`LayerBuildFailed`, a SystemExit), before any CDK (jsii) code runs for the layer. aws_cdk is
imported only when the construct is first used, so the rest of the tool does not need it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from builder.errors import ConfigError
from builder.manifest import Manifest, layer_description

__all__ = ["BuiltLayer", "LayerBuildFailed", "LayerBuilderLayer", "asset_hash", "build_layer"]  # noqa: F822 (module __getattr__)


class LayerBuildFailed(SystemExit):
    """layer-builder could not build the layer. str() is the CLI's error text; `code` its exit
    code, so an app that lets it through exits as `layer-builder build` would have."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = exit_code
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, kw_only=True)
class BuiltLayer:
    zip_path: Path
    manifest: dict[str, Any]
    cached: bool

    @property
    def sha256(self) -> str:
        return str(self.manifest["zip"]["sha256"])


def build_layer(
    recipe: str,
    runtime: str,
    architecture: str,
    *,
    output: Path | str = "layers",
    recipes: Sequence[Path | str] = (),
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
) -> BuiltLayer:
    """Run `layer-builder build` for one target and read what it built; LayerBuildFailed if it
    failed (its stderr is passed on to ours either way)."""
    command = [python, "-m", "builder", "build", recipe, "--runtime", runtime, "--arch", architecture]
    command += ["--output", str(output), "--json", *extra_args]
    for folder in recipes:
        command += ["--recipes", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.stderr:
        sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise LayerBuildFailed(_error_text(done.stderr, done.returncode), done.returncode)
    try:
        [layer] = json.loads(done.stdout)["layers"]
        return BuiltLayer(
            zip_path=Path(layer["zip"]), manifest=layer["manifest"], cached=bool(layer["cached"])
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise LayerBuildFailed(
            f"layer-builder build printed no layer: {exc!r}\n{done.stdout[-2000:]}", 1
        ) from exc


def _error_text(stderr: str, code: int) -> str:
    """The CLI's error and hint lines (what its one error handler printed)."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
    if start is None:
        return stderr.strip() or f"layer-builder build exited with {code}"
    return "\n".join(lines[start:]).strip()


def asset_hash(zip_sha256: str) -> str:
    """The asset hash CDK records for a layer built from a zip with this sha256 (hex).

    CDK hashes a CUSTOM asset hash once more ("for consistency, this custom hash will be SHA256
    hashed and encoded as hex", AssetOptions.assetHash in the aws-cdk-lib reference), so the asset
    is sha256(zip sha256): a function of the zip's content and nothing else."""
    return hashlib.sha256(zip_sha256.encode()).hexdigest()


@cache
def _construct_class() -> type:
    try:
        from aws_cdk import AssetHashType
        from aws_cdk import aws_lambda as lambda_
    except ImportError as exc:
        raise ConfigError(
            f"builder.cdk needs the AWS CDK libraries, which are not installed ({exc.name} is missing)",
            hint="pip install 'layer-builder[cdk]' (aws-cdk-lib and constructs; jsii needs Node.js)",
        ) from exc

    class LayerBuilderLayer(lambda_.LayerVersion):
        """A lambda.LayerVersion of a layer-builder recipe, built at synth time (see builder.cdk)."""

        def __init__(
            self,
            scope: Any,
            id: str,
            *,
            recipe: str,
            runtime: str,
            architecture: str,
            output: Path | str = "layers",
            recipes: Sequence[Path | str] = (),
            build_args: Sequence[str] = (),
            layer_version_name: str | None = None,
            description: str | None = None,
            **layer_props: Any,
        ) -> None:
            built = build_layer(
                recipe, runtime, architecture, output=output, recipes=recipes, extra_args=build_args
            )
            found = built.manifest
            arch = lambda_.Architecture.ARM_64 if found["arch"] == "arm64" else lambda_.Architecture.X86_64
            super().__init__(
                scope,
                id,
                code=lambda_.Code.from_asset(
                    str(built.zip_path), asset_hash=built.sha256, asset_hash_type=AssetHashType.CUSTOM
                ),
                compatible_runtimes=[lambda_.Runtime(found["runtime"], lambda_.RuntimeFamily.PYTHON)],
                compatible_architectures=[arch],
                license=str(found["license"])[:512],
                description=description
                or layer_description(Manifest.from_json(found, source=str(built.zip_path))),
                layer_version_name=layer_version_name,
                **layer_props,
            )
            self.built = built
            self.manifest = found

    return LayerBuilderLayer


def __getattr__(name: str) -> Any:
    # `from builder.cdk import LayerBuilderLayer` imports aws_cdk only then, with a clear error
    # when the [cdk] extra is missing.
    if name == "LayerBuilderLayer":
        return _construct_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
