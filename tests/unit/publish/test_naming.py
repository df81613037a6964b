"""Layer names, descriptions and bucket names."""

from __future__ import annotations

import dataclasses

import pytest

from builder.errors import ConfigError
from builder.manifest import layer_description
from builder.publish import naming

from .conftest import layerfiles


def test_default_name_from_recipe_runtime_and_arch_with_only_valid_characters():
    assert naming.layer_name(naming.DEFAULT_LAYER_NAME, layerfiles.sample(recipe="scipy-stack")) == (
        "scipy-stack-py312-x86_64"
    )
    odd = layerfiles.sample(recipe="my.stack v2", runtime="python3.13", arch="arm64")
    assert naming.layer_name(naming.DEFAULT_LAYER_NAME, odd) == "my-stack-v2-py313-arm64"


def test_an_override_is_checked_not_rewritten():
    sample = layerfiles.sample()
    assert naming.layer_name("team_{py}", sample) == "team_py312"
    with pytest.raises(ConfigError, match="not valid for Lambda"):
        naming.layer_name("team.layer", sample)
    with pytest.raises(ConfigError, match="unknown placeholder"):
        naming.layer_name("{team}", sample)
    with pytest.raises(ConfigError, match="64"):
        naming.layer_name("x" * 65, sample)


def test_two_targets_under_one_name_are_refused():
    with pytest.raises(ConfigError, match="would both be published as 'fixed'") as caught:
        naming.check_unique([("fixed", "python3.12-x86_64"), ("fixed", "python3.12-arm64")])
    assert "{arch}" in (caught.value.hint or "")


def test_description_carries_the_pins_and_the_hash_within_256_characters():
    sample = layerfiles.sample()
    text = layer_description(sample)
    assert "numpy==2.5.5 scipy==1.18.1" in text and f"sha256:{sample.zip.sha256}" in text
    many = dataclasses.replace(
        sample,
        packages={f"package-number-{i}": "1.0.0" for i in range(40)},
        requested=tuple(f"package-number-{i}" for i in range(40)),
    )
    long = layer_description(many)
    assert len(long) <= 256 and long.endswith(f"sha256:{sample.zip.sha256}") and "..." in long


def test_bucket_templates():
    assert naming.bucket_template(None, 3, 2) == naming.DEFAULT_BUCKET
    assert naming.bucket_name(naming.DEFAULT_BUCKET, account="123456789012", region="eu-west-1") == (
        "layer-builder-123456789012-eu-west-1"
    )
    with pytest.raises(ConfigError, match="one bucket for 2 regions") as caught:
        naming.bucket_template("uploads", 2, 1)
    assert "own region" in (caught.value.hint or "")
    with pytest.raises(ConfigError, match="one bucket for 2 accounts"):
        naming.bucket_template("uploads-{region}", 2, 2)
    with pytest.raises(ConfigError, match="not a valid S3 bucket name"):
        naming.bucket_template("Uploads_{region}", 1, 1)
    assert naming.bucket_template("uploads", 1, 1) == "uploads"
