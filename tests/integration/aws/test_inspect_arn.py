"""A published layer as TARGET: GetLayerVersion over HTTP to the moto server, then its Content.Location.

AWS answers GetLayerVersion with a presigned S3 URL for the layer's zip; moto answers "s3://". The
`layer_urls` fixture puts AWS's behaviour in front of the moto server for these tests: it rewrites
Content.Location to a URL on the same server that serves the zip's bytes.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from moto.awslambda.models import lambda_backends

pytestmark = pytest.mark.aws

REGION = "us-east-1"
VERSION_PATH = re.compile(r"^/2018-10-31/layers/(?P<name>[^/]+)/versions/(?P<version>\d+)$")
CONTENT_PATH = re.compile(
    r"^/layer-content/(?P<account>\d+)/(?P<region>[a-z0-9-]+)/(?P<name>[^/]+)/(?P<version>\d+)$"
)


def _helpers() -> Any:
    name = "lb_layerzips"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[2] / "unit" / "inspect" / "layerzips.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


zips = _helpers()


class LayerUrls:
    """WSGI: GetLayerVersion answers carry a download URL; that URL serves the layer version's zip."""

    def __init__(self, app: Callable[..., Iterable[bytes]], base_url: str) -> None:
        self.app = app
        self.base_url = base_url

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        from lb_motoserver import _call  # type: ignore[import-not-found]  # loaded by the aws conftest

        path = environ.get("PATH_INFO", "")
        content = CONTENT_PATH.match(path)
        if content:
            layer = lambda_backends[content["account"]][content["region"]].get_layer_version(
                unquote(content["name"]), content["version"]
            )
            start_response(
                "200 OK",
                [("Content-Type", "application/zip"), ("Content-Length", str(len(layer.code_bytes)))],
            )
            return [layer.code_bytes]
        if not (VERSION_PATH.match(path) and environ["REQUEST_METHOD"] == "GET"):
            return self.app(environ, start_response)
        status, headers, body = _call(self.app, environ)
        if status.startswith("200"):
            answer = json.loads(body)
            _, _, _, region, account, _, name, version = answer["LayerVersionArn"].split(":")
            answer["Content"]["Location"] = (
                f"{self.base_url}/layer-content/{account}/{region}/{name}/{version}"
            )
            body = json.dumps(answer).encode()
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]


@pytest.fixture
def layer_urls(server: Any) -> Iterator[None]:
    original = server.ext.app
    server.ext.app = LayerUrls(original, server.url)
    yield
    server.ext.app = original


def publish(seed: Any, name: str, data: bytes, runtimes: list[str], archs: list[str]) -> str:
    answer = seed.lam.publish_layer_version(
        LayerName=name, Content={"ZipFile": data}, CompatibleRuntimes=runtimes, CompatibleArchitectures=archs
    )
    return str(answer["LayerVersionArn"])


def layer_bytes(tmp_path: Path, *parts: dict[str, bytes | int]) -> bytes:
    return zips.write_zip(tmp_path / "published.zip", *parts).read_bytes()  # type: ignore[no-any-return]


def test_inspect_a_published_layer_by_its_arn(cli: Any, seed: Any, layer_urls: None, tmp_path: Path):
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


def test_check_a_stack_of_a_published_layer_and_a_local_zip(
    cli: Any, seed: Any, layer_urls: None, tmp_path: Path
):
    data = layer_bytes(tmp_path, zips.dist("numpy", "2.0.0", {"numpy/__init__.py": 5000}))
    arn = publish(seed, "sci", data, ["python3.12", "python3.13"], ["x86_64"])
    local = zips.write_zip(tmp_path / "mine.zip", zips.dist("numpy", "1.26.4", {"numpy/__init__.py": 4000}))
    plan = cli.json("check", str(local), arn)
    assert plan["runtimes"] == ["python3.12", "python3.13"] and plan["archs"] == ["x86_64"]
    (numpy,) = plan["duplicates"]
    assert numpy["winner"] == f"layer 2 ({arn})"
    other = publish(seed, "old", layer_bytes(tmp_path, {"python/x.py": 10}), ["python3.11"], ["x86_64"])
    plan = cli.json("check", arn, other, expect=1)
    assert plan["problems"][0].startswith("no runtime in common")


def test_an_arn_that_does_not_exist_is_an_aws_error(cli: Any, seed: Any, layer_urls: None):
    arn = f"arn:aws:lambda:{REGION}:{seed.account}:layer:nothing:3"
    result = cli("inspect", arn, "--no-import-time")
    assert result.exit_code == 9
    assert f"cannot read {arn}: GetLayerVersion" in result.stderr
    assert "lambda:GetLayerVersion permission" in result.stderr


def test_a_layer_version_without_a_download_url_is_explained(cli: Any, seed: Any, tmp_path: Path):
    """moto on its own answers Content.Location "s3://", which is no URL to download from."""
    arn = publish(seed, "sci", layer_bytes(tmp_path, {"python/x.py": 10}), ["python3.12"], ["x86_64"])
    result = cli("inspect", arn, "--no-import-time")
    assert result.exit_code == 9
    assert "GetLayerVersion gave no download URL" in result.stderr
