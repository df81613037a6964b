"""What TARGET names: a built recipe (layers/<recipe>/<runtime>-<arch>/), a zip, or a published layer ARN.

Each becomes a `Source`: a local zip, its manifest when there is one that matches it, and what is
known of the runtimes and architectures it is for. A published layer is downloaded from the
`Content.Location` URL that GetLayerVersion answers, into a scratch folder the caller owns.
"""

from __future__ import annotations

import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from builder import manifest as manifest_file
from builder import zips
from builder.errors import AwsError, ConfigError, ManifestError
from builder.manifest import Manifest
from builder.runtimes import get_architecture, get_runtime

LAYER_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):layer:(?P<name>[A-Za-z0-9_-]+):(?P<version>\d+)$"
)
DOWNLOAD_TIMEOUT = 300  # seconds; a 250 MB layer over a slow link
CHUNK = 1 << 20

SourceKind = Literal["built", "zip", "arn"]
# region -> a Lambda client; the CLI passes one made by builder.aws, the tests one for the moto server
LambdaFactory = Callable[[str], Any]


@dataclass(frozen=True, kw_only=True)
class Source:
    label: str  # for tables and messages
    kind: SourceKind
    zip_path: Path
    manifest: Manifest | None
    runtimes: tuple[str, ...]  # what it is built or published for; () when unknown
    archs: tuple[str, ...]
    note: str = ""  # why something is unknown or was ignored


@dataclass(frozen=True, kw_only=True)
class Where:
    """How to find a TARGET that names a recipe, and how to reach AWS for one that is an ARN."""

    layers_root: Path
    runtime: str | None = None
    arch: str | None = None
    scratch: Path | None = None  # downloads go here; required for ARNs
    lambda_client: LambdaFactory | None = None


def resolve(target: str, where: Where) -> Source:
    if LAYER_ARN.match(target):
        return _published(target, where)
    path = Path(target)
    if path.is_file() and path.name == manifest_file.MANIFEST:
        return _built(path.parent, label=str(path.parent))
    if path.is_file():
        return _zip(path)
    if path.is_dir() and any(
        (path / name).is_file() for name in (manifest_file.LAYER_ZIP, manifest_file.MANIFEST)
    ):
        return _built(path, label=str(path))
    if not path.exists() and ("/" in target or target.endswith(".zip")):
        raise ConfigError(f"{target}: no such file", hint="check the path")
    if path.exists():
        raise ConfigError(
            f"{target} is not a layer zip, a manifest.json or a folder with layer.zip",
            hint="pass a zip, a built layer folder (layers/RECIPE/RUNTIME-ARCH), a recipe name or a layer ARN",
        )
    return _recipe(target, where)


def _recipe(recipe: str, where: Where) -> Source:
    runtime = get_runtime(where.runtime).name if where.runtime else None
    arch = get_architecture(where.arch).name if where.arch else None
    folder = where.layers_root / recipe
    built = [
        key
        for key, path in manifest_file.built_targets(where.layers_root, recipe).items()
        if (path / manifest_file.MANIFEST).exists()
    ]
    wanted = [
        key
        for key in built
        if (runtime is None or key.startswith(f"{runtime}-")) and (arch is None or key.endswith(f"-{arch}"))
    ]
    if len(wanted) == 1:
        return _built(folder / wanted[0], label=f"{recipe} {wanted[0]}")
    build = f"layer-builder build {recipe} --runtime {runtime or 'R'} --arch {arch or 'A'}"
    if not built:
        raise ConfigError(
            f"{recipe} is not a file, a layer ARN, or a recipe built under {where.layers_root}",
            hint=f"build it first ({build}), or pass --layers-dir to the folder it was built into",
        )
    if not wanted:
        raise ConfigError(
            f"{recipe} has no build for {runtime or 'any runtime'} on {arch or 'any architecture'} "
            f"under {where.layers_root}; built: {', '.join(built)}",
            hint=f"build it first: {build}",
        )
    raise ConfigError(
        f"{recipe} is built for {', '.join(wanted)}; which one?",
        hint="pass --runtime and --arch, e.g. --runtime python3.12 --arch x86_64",
    )


def _built(folder: Path, *, label: str) -> Source:
    zip_path = folder / manifest_file.LAYER_ZIP
    manifest = manifest_file.load(folder / manifest_file.MANIFEST)
    if not zip_path.is_file():
        raise ManifestError(
            f"{folder} has a manifest but no {manifest_file.LAYER_ZIP}",
            hint=f"rebuild it: layer-builder build {manifest.recipe} --runtime {manifest.runtime} --arch {manifest.arch}",
        )
    if zips.file_sha256(zip_path).hex() != manifest.zip.sha256:
        raise ManifestError(
            f"{zip_path} is not the zip {folder / manifest_file.MANIFEST} describes (sha256 differs)",
            hint=f"rebuild it: layer-builder build {manifest.recipe} --runtime {manifest.runtime} --arch {manifest.arch}",
        )
    return Source(
        label=label,
        kind="built",
        zip_path=zip_path,
        manifest=manifest,
        runtimes=(manifest.runtime,),
        archs=(manifest.arch,),
    )


def _zip(path: Path) -> Source:
    """A zip; the manifest beside it counts only when it describes exactly this zip."""
    beside = path.parent / manifest_file.MANIFEST
    manifest = manifest_file.read(beside) if beside.is_file() else None
    if manifest is not None and manifest.zip.sha256 == zips.file_sha256(path).hex():
        return Source(
            label=str(path),
            kind="built",
            zip_path=path,
            manifest=manifest,
            runtimes=(manifest.runtime,),
            archs=(manifest.arch,),
        )
    note = "no manifest: runtime and architecture unknown"
    if manifest is not None:
        note = f"{beside} describes another zip, ignored; runtime and architecture unknown"
    return Source(label=str(path), kind="zip", zip_path=path, manifest=None, runtimes=(), archs=(), note=note)


def _published(arn: str, where: Where) -> Source:
    found = LAYER_ARN.match(arn)
    assert found is not None  # resolve() matched it
    if where.lambda_client is None or where.scratch is None:
        raise ConfigError(f"cannot fetch {arn} here", hint="inspect a local zip instead")
    layer_arn = arn.rsplit(":", 1)[0]
    answer = _get_layer_version(where.lambda_client(found["region"]), layer_arn, int(found["version"]), arn)
    content = answer.get("Content", {})
    location = str(content.get("Location") or "")
    if not location.startswith(("https://", "http://")):
        raise AwsError(
            f"GetLayerVersion gave no download URL for {arn} (Content.Location is {location!r})",
            hint="check that the layer version exists and that you may call lambda:GetLayerVersion on it",
        )
    destination = where.scratch / f"{found['name']}-{found['version']}.zip"
    _download(location, destination, arn)
    expected = content.get("CodeSha256")
    if expected and zips.code_sha256(destination) != expected:
        raise AwsError(
            f"the download of {arn} does not match its CodeSha256",
            hint="retry; the download was cut short or altered on the way",
        )
    runtimes = tuple(answer.get("CompatibleRuntimes") or ())
    archs = tuple(answer.get("CompatibleArchitectures") or ())
    unknown = [what for what, known in (("runtimes", runtimes), ("architectures", archs)) if not known]
    note = f"published without compatible {' or '.join(unknown)}" if unknown else ""
    return Source(
        label=arn, kind="arn", zip_path=destination, manifest=None, runtimes=runtimes, archs=archs, note=note
    )


def _get_layer_version(client: Any, layer_arn: str, version: int, arn: str) -> dict[str, Any]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    from builder import aws

    try:
        answer: dict[str, Any] = client.get_layer_version(LayerName=layer_arn, VersionNumber=version)
    except (NoCredentialsError, NoRegionError) as exc:
        raise AwsError(
            f"cannot read {arn}: no AWS credentials found",
            hint="configure credentials (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
        ) from exc
    except ClientError as exc:
        raise AwsError(
            f"cannot read {arn}: {aws.describe(exc)}",
            hint="check the ARN (region, account, name, version) and the lambda:GetLayerVersion permission",
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(
            f"cannot reach Lambda for {arn}: {exc}", hint="check the network and endpoint"
        ) from exc
    return answer


def _download(url: str, destination: Path, arn: str) -> None:
    partial = destination.with_suffix(".part")
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as answer, partial.open("wb") as out:
            shutil.copyfileobj(answer, out, CHUNK)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise AwsError(
            f"cannot download {arn}: {exc}",
            hint="the URL GetLayerVersion gives expires after 10 minutes; retry, and check the network",
        ) from exc
    partial.replace(destination)
