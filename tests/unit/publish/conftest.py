"""Built layers for the publish unit tests: LocalLayer values (no files) and layer folders."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from builder import manifest
from builder.publish import naming
from builder.publish.local import LocalLayer

_spec = importlib.util.spec_from_file_location("lb_layerfiles", Path(__file__).parents[2] / "layerfiles.py")
assert _spec is not None and _spec.loader is not None
layerfiles = importlib.util.module_from_spec(_spec)
sys.modules["lb_layerfiles"] = layerfiles
_spec.loader.exec_module(layerfiles)


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
        description=naming.description(built),
    )


@pytest.fixture
def files() -> Any:
    return layerfiles
