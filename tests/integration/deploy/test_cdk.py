"""examples/cdk synthesized for real (aws-cdk-lib through jsii in Node.js), the way `cdk synth` does
it: CDK_OUTDIR=cdk.out, then the app's own Python. The template's LayerVersion, the staged asset,
and two synths of an unchanged recipe; a recipe or runtime layer-builder cannot build stops the
synth with layer-builder's message and exit code."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.paths import REPO

from builder import manifest

pytestmark = pytest.mark.cdk

EXAMPLE = REPO / "examples" / "cdk"
TARGET = "python3.12-x86_64"


def synth(project: Path, **env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None:
        pytest.fail("jsii needs Node.js: install Debian's nodejs (tests/run.sh does)")
    shutil.rmtree(project / "cdk.out", ignore_errors=True)
    environment = dict(
        os.environ, CDK_OUTDIR="cdk.out", JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="18,20", **env
    )
    return subprocess.run(
        [sys.executable, "app.py"], cwd=project, env=environment, capture_output=True, text=True, timeout=1800
    )


def layer_resource(template: dict[str, Any]) -> dict[str, Any]:
    [layer] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::LayerVersion"]
    return layer  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cdk") / "project"
    shutil.copytree(EXAMPLE, folder)
    return folder


@pytest.fixture(scope="module")
def first(project: Path) -> dict[str, Any]:
    done = synth(project)
    assert done.returncode == 0, done.stderr
    return json.loads((project / "cdk.out" / "AnalyticsStack.template.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.network
def test_the_layer_version_comes_from_the_verified_zip(first: dict[str, Any], project: Path):
    folder = manifest.layer_dir(project / "layers", "analytics", TARGET)
    built = manifest.load(folder / manifest.MANIFEST)
    assert built.verified and built.verification.smoke.status == "passed"
    properties = layer_resource(first)["Properties"]
    assert properties["CompatibleRuntimes"] == ["python3.12"]
    assert properties["CompatibleArchitectures"] == ["x86_64"]
    assert properties["LicenseInfo"] == built.license
    assert built.zip.sha256 in properties["Description"]
    expected = hashlib.sha256(built.zip.sha256.encode()).hexdigest()  # CDK hashes a custom hash once more
    assert properties["Content"]["S3Key"] == f"{expected}.zip"
    assets = json.loads((project / "cdk.out" / "AnalyticsStack.assets.json").read_text())["files"]
    source = project / "cdk.out" / assets[expected]["source"]["path"]
    assert assets[expected]["source"]["packaging"] == "file"
    assert source.read_bytes() == (folder / manifest.LAYER_ZIP).read_bytes()  # the exact zip
    function = next(r for r in first["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    assert function["Properties"]["Layers"] == [
        {"Ref": next(k for k, r in first["Resources"].items() if r is layer_resource(first))}
    ]


@pytest.mark.slow
@pytest.mark.network
def test_an_unchanged_recipe_synthesizes_the_same_template_from_the_cache(
    first: dict[str, Any], project: Path
):
    zip_path = manifest.layer_dir(project / "layers", "analytics", TARGET) / manifest.LAYER_ZIP
    before = zip_path.stat().st_mtime_ns
    done = synth(project)
    assert done.returncode == 0, done.stderr
    assert json.loads((project / "cdk.out" / "AnalyticsStack.template.json").read_text()) == first
    assert zip_path.stat().st_mtime_ns == before  # answered from layer-builder's cache


@pytest.mark.parametrize(
    ("env", "code", "message"),
    [
        ({"LAYER_RECIPE": "analytix"}, 3, "no recipe named 'analytix' (did you mean 'analytics'?)"),
        ({"LAYER_RUNTIME": "python3.11"}, 2, "recipe analytics does not support python3.11-x86_64"),
        ({"LAYER_ARCH": "mips"}, 2, "unknown architecture 'mips'"),
    ],
)
def test_a_build_layer_builder_refuses_stops_the_synth_with_its_message_and_code(
    tmp_path, env, code, message
):
    shutil.copytree(EXAMPLE, tmp_path / "project")
    done = synth(tmp_path / "project", **env)
    assert done.returncode == code, done.stderr
    assert "error: " + message in done.stderr or message in done.stderr, done.stderr
    assert "jsii" not in done.stderr.lower() and "Traceback" not in done.stderr
    assert not (tmp_path / "project" / "cdk.out" / "AnalyticsStack.template.json").exists()


def test_the_example_is_a_directory_a_user_can_copy():
    for name in (
        "README.md",
        "app.py",
        "cdk.json",
        "requirements.txt",
        "src/app.py",
        "recipes/analytics.toml",
    ):
        assert (EXAMPLE / name).is_file(), name
