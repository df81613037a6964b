"""Where the region and the credentials come from, through the real CLI against the moto server:
--region, else AWS_REGION, AWS_DEFAULT_REGION or the profile's region; --profile for the AWS
config's named profile (credentials and region) on every command that calls AWS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from support import layerfiles
from support import layerzips as zips

pytestmark = pytest.mark.aws


@pytest.fixture
def profile_dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `dev` profile with its own credentials and region; no credentials or region elsewhere."""
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[profile dev]\nregion = eu-central-1\n")
    credentials.write_text("[dev]\naws_access_key_id = devkey\naws_secret_access_key = devsecret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)


def regions_of(report: dict[str, Any]) -> list[str]:
    return [run["region"] for run in report["regions"]]


def test_without_region_the_environment_names_it(cli, monkeypatch):
    assert regions_of(cli.json("storage")) == ["us-east-1"]  # AWS_DEFAULT_REGION (the fixture's)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")  # what Lambda and the AWS CLI read first
    assert regions_of(cli.json("prune")) == ["eu-west-1"]
    assert regions_of(cli.json("storage", "--region", "ap-south-1")) == ["ap-south-1"]


def test_without_any_region_the_error_names_every_way_to_give_one(cli, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    for command in ("storage", "prune", "publish demo"):
        result = cli(*command.split())
        assert result.exit_code == 2, (command, result.output)
        text = " ".join(result.stderr.split())
        assert "no region given" in text
        for way in ("--region", "AWS_REGION", "AWS_DEFAULT_REGION", "profile"):
            assert way in text, (command, way)


def test_a_profile_gives_the_credentials_and_the_region(cli, profile_dev):
    assert cli("storage").exit_code == 2  # neither a region nor credentials without the profile
    report = cli.json("storage", "--profile", "dev")
    assert regions_of(report) == ["eu-central-1"] and report["regions"][0]["error"] is None


def test_publish_takes_the_profile(cli, profile_dev, tmp_path: Path):
    layers = tmp_path / "layers"
    layerfiles.write_layer(layers)
    (tmp_path / "recipes").mkdir()
    args = ("publish", "demo", "--layers-dir", str(layers), "--recipes", str(tmp_path / "recipes"))
    report = cli.json(*args, "--profile", "dev", "--dry-run")
    assert regions_of(report) == ["eu-central-1"]
    assert report["regions"][0]["error"] is None


def test_inspect_reads_an_arn_with_the_profile(cli, seed, profile_dev, tmp_path: Path):
    data = zips.write_zip(tmp_path / "l.zip", zips.dist("numpy", "2.0.0", {"numpy/__init__.py": 500}))
    arn = seed.lam.publish_layer_version(LayerName="sci", Content={"ZipFile": data.read_bytes()})[
        "LayerVersionArn"
    ]
    without = cli("inspect", arn, "--no-import-time")
    assert without.exit_code == 9 and "credentials" in without.stderr.lower()
    report = cli.json("inspect", arn, "--no-import-time", "--profile", "dev")
    assert report["source"]["kind"] == "arn"


def test_an_unknown_profile_is_refused_with_did_you_mean(cli, profile_dev):
    result = cli("storage", "--profile", "dve")
    assert result.exit_code == 2
    assert "unknown AWS profile 'dve' (did you mean 'dev'?)" in " ".join(result.stderr.split())


def test_job_stackset_deploys_with_the_profile(cli, profile_dev, server, tmp_path: Path):
    org = boto3.client(
        "organizations",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="devkey",
        aws_secret_access_key="devsecret",
    )
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    args = ("job", "stackset", "--ou", root, "--region", "eu-central-1", "-o", str(tmp_path / "t.json"))
    without = cli(*args, "--deploy")
    assert without.exit_code == 9, without.output
    assert "error: no AWS credentials found" in without.stderr and "Traceback" not in without.output
    assert cli(*args, "--deploy", "--profile", "dve").exit_code == 2
    result = cli(*args, "--deploy", "--profile", "dev", "--max-attempts", "2")
    assert result.exit_code == 0, result.output
    assert "created stack set layer-builder-cleanup" in result.stderr
