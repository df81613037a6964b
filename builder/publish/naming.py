"""Names AWS sees: the layer's name and the bucket large zips go through (its description is
manifest.layer_description, shared with the CDK construct)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from builder.errors import ConfigError
from builder.manifest import Manifest

DEFAULT_LAYER_NAME = "{recipe}-{py}-{arch}"
DEFAULT_BUCKET = "layer-builder-{account}-{region}"
# PublishLayerVersion: LayerName [a-zA-Z0-9-_]+, 1-64 characters for a new layer; Description up
# to 256 characters (https://docs.aws.amazon.com/lambda/latest/api/API_PublishLayerVersion.html).
LAYER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LICENSE_MAX = 512
# General purpose bucket names (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PLACEHOLDERS = ("recipe", "py", "arch")


def layer_name(template: str, manifest: Manifest) -> str:
    """The layer name for a built target: `scipy-stack-py312-x86_64` by default.

    The recipe name is a file name and may hold characters Lambda refuses; the default replaces
    them, a name the user chose is refused instead of silently changed."""
    values = {
        "recipe": re.sub(r"[^A-Za-z0-9_-]+", "-", manifest.recipe).strip("-") or "layer",
        "py": "py" + manifest.runtime.removeprefix("python").replace(".", ""),
        "arch": manifest.arch,
    }
    try:
        name = template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"--layer-name {template!r} has an unknown placeholder: {exc}",
            hint=f"placeholders: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
        ) from exc
    if not LAYER_NAME.match(name):
        bad = sorted(set(re.sub(r"[A-Za-z0-9_-]", "", name)))
        why = f"characters {' '.join(repr(c) for c in bad)}" if bad else f"{len(name)} characters"
        raise ConfigError(
            f"layer name {name!r} is not valid for Lambda ({why})",
            hint="a layer name has 1 to 64 letters, digits, '-' or '_'",
        )
    return name


def check_unique(names: Sequence[tuple[str, str]]) -> None:
    """Refuse two targets that would publish under one layer name ((name, target) pairs)."""
    seen: dict[str, str] = {}
    for name, target in names:
        if name in seen:
            raise ConfigError(
                f"layers {seen[name]} and {target} would both be published as {name!r}",
                hint="put {py} and {arch} in --layer-name, or narrow with --runtime/--arch",
            )
        seen[name] = target


def license_info(manifest: Manifest) -> str:
    return manifest.license[:LICENSE_MAX]


def bucket_template(bucket: str | None, regions: int, accounts: int) -> str:
    """Check --bucket against the regions and accounts it must serve; return the template."""
    template = bucket or DEFAULT_BUCKET
    if regions > 1 and "{region}" not in template:
        raise ConfigError(
            f"--bucket {template!r} names one bucket for {regions} regions",
            hint="Lambda reads a layer's zip only from a bucket in the layer's own region: put {region} "
            "in the name (e.g. --bucket my-layers-{region}) or publish one region at a time",
        )
    if accounts > 1 and "{account}" not in template:
        raise ConfigError(
            f"--bucket {template!r} names one bucket for {accounts} accounts",
            hint="every upload checks that the bucket belongs to the publishing account "
            "(ExpectedBucketOwner): put {account} in the name",
        )
    bucket_name(template, account="123456789012", region="us-east-1")  # refuse a bad shape early
    return template


def bucket_name(template: str, *, account: str, region: str) -> str:
    try:
        name = template.format(account=account, region=region)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(
            f"--bucket {template!r} has an unknown placeholder: {exc}",
            hint="placeholders: {account} and {region}",
        ) from exc
    if not BUCKET_NAME.match(name) or ".." in name:
        raise ConfigError(
            f"{name!r} is not a valid S3 bucket name",
            hint="3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
        )
    return name
