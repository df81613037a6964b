"""A published layer as TARGET: GetLayerVersion over HTTP to the moto server, then its Content.Location.

AWS answers GetLayerVersion with a presigned S3 URL for the layer's zip; moto answers "s3://", so the
test server (tests/support/motoserver.py) hands out a URL on itself that serves the zip's bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from support import layerzips as zips

from builder.errors import StackError

pytestmark = pytest.mark.aws

REGION = "us-east-1"
VERSION_PATH = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/(?P<version>\d+)$")
CONTENT_PATH = re.compile(
    r"^/layer-content/(?P<account>\d+)/(?P<region>[a-z0-9-]+)/(?P<name>[^/]+)/(?P<version>\d+)$"
)


def publish(seed: Any, name: str, data: bytes, runtimes: list[str], archs: list[str]) -> str:
    answer = seed.lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": data}, CompatibleRuntimes=runtimes, CompatibleArchitectures=archs
    )
    return str(answer["LayerVersionArn"])


def layer_bytes(tmp_path: Path, *parts: zips.Files) -> bytes:
    return zips.write_zip(tmp_path / "published.zip", *parts).read_bytes()  # type: ignore[no-any-return]


def test_inspect_a_published_layer_by_its_arn(cli: Any, seed: Any, tmp_path: Path):
    data = layer_bytes(
        tmp_path, zips.dist("numpy", "2.0.0", {"numpy/__init__.py": 5000, "numpy/core.py": 3000})
    )
    arn = publish(seed, "sci", data, ["python3.12"], ["arm64"])
    report = cli.json("inspect", arn, "--no-import-time")
    assert report["source"]["kind"] == "arn" and report["source"]["label"] == arn
    assert (report["source"]["runtimes"], report["source"]["architectures"]) == (["python3.12"], ["arm64"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unzipped = sum(i.file_size for i in archive.infolist())
    assert report["unzipped_bytes"] == unzipped
    assert report["archive_bytes"] == len(data)
    (numpy,) = report["packages"]
    assert (numpy["name"], numpy["version"], numpy["files"]) == ("numpy", "2.0.0", 4)
    assert report["minimize"] is None


def test_check_a_stack_of_a_published_layer_and_a_local_zip(cli: Any, seed: Any, tmp_path: Path):
    data = layer_bytes(tmp_path, zips.dist("numpy", "2.0.0", {"numpy/__init__.py": 5000}))
    arn = publish(seed, "sci", data, ["python3.12", "python3.13"], ["x86_64"])
    local = zips.write_zip(tmp_path / "mine.zip", zips.dist("numpy", "1.26.4", {"numpy/__init__.py": 4000}))
    plan = cli.json("check", str(local), arn)
    assert plan["runtimes"] == ["python3.12", "python3.13"] and plan["archs"] == ["x86_64"]
    (numpy,) = plan["duplicates"]
    assert numpy["winner"] == f"layer 2 ({arn})"
    other = publish(seed, "old", layer_bytes(tmp_path, {"python/x.py": 10}), ["python3.11"], ["x86_64"])
    plan = cli.json("check", arn, other, expect=StackError.exit_code)
    assert plan["problems"][0].startswith("no runtime in common")


def test_an_arn_that_does_not_exist_is_an_aws_error(cli: Any, seed: Any):
    arn = f"arn:aws:lambda:{REGION}:{seed.account}:layer:nothing:3"
    result = cli("inspect", arn, "--no-import-time")
    assert result.exit_code == 9
    assert f"cannot read {arn}: GetLayerVersion" in result.stderr
    assert "lambda:GetLayerVersion permission" in result.stderr


def test_a_layer_version_without_a_download_url_is_explained(
    cli: Any, seed: Any, server: Any, tmp_path: Path
):
    """moto on its own answers Content.Location "s3://", which is no URL to download from."""
    server.ext.layer_urls = False
    arn = publish(seed, "sci", layer_bytes(tmp_path, {"python/x.py": 10}), ["python3.12"], ["x86_64"])
    result = cli("inspect", arn, "--no-import-time")
    assert result.exit_code == 9
    assert "GetLayerVersion gave no download URL" in result.stderr
