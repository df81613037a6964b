"""Built layers for the publish unit tests: LocalLayer values (no files) and layer folders."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from support import layerfiles

from builder import manifest
from builder.manifest import layer_description
from builder.publish import naming
from builder.publish.local import LocalLayer


def make_layer(*, size: int = 1_000, code: str = "NEW=", **fields: Any) -> LocalLayer:
    built = layerfiles.sample(**fields)
    built = dataclasses.replace(
        built,
        size=dataclasses.replace(built.size, zipped_bytes=size),
        zip=manifest.ZipDigest(sha256="ef" * 32, code_sha256=code),
    )
    return LocalLayer(
        folder=Path("/layers") / built.recipe / built.target,
        manifest=built,
        name=naming.layer_name(naming.DEFAULT_LAYER_NAME, built),
        description=layer_description(built),
    )


@pytest.fixture
def files() -> Any:
    return layerfiles
