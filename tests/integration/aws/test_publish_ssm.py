"""`publish --ssm-parameter` and publishing a layers folder assembled from CI artifacts, through the
real CLI and real boto3 against the moto server (which refuses the parameter names AWS refuses)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from support import layerfiles

from builder.publish.iampolicy import publish_policy

pytestmark = pytest.mark.aws


REGIONS = ("us-east-1", "eu-west-1")
TEMPLATE = "/layers/{recipe}/{runtime}-{arch}"


@pytest.fixture
def layers(tmp_path: Path) -> Path:
    for arch in ("x86_64", "arm64"):
        layerfiles.write_layer(tmp_path / "layers", arch=arch)
    (tmp_path / "recipes").mkdir()
    return tmp_path / "layers"


@pytest.fixture
def publish(cli: Any, layers: Path) -> Callable[..., Any]:
    def run(*args: str, expect: int = 0, layers_dir: Path | None = None) -> Any:
        base = [
            "publish",
            "demo",
            "--layers-dir",
            str(layers_dir or layers),
            "--recipes",
            str(layers.parent / "recipes"),
        ]
        return cli.json(*base, *args, expect=expect)

    return run


def ssm(server: Any, region: str) -> Any:
    return boto3.client("ssm", region_name=region, endpoint_url=server.url)


def parameter(server: Any, region: str, name: str) -> dict[str, Any]:
    return ssm(server, region).get_parameter(Name=name)["Parameter"]  # type: ignore[no-any-return]


def regions_args() -> list[str]:
    return [arg for region in REGIONS for arg in ("--region", region)]


def test_each_arn_lands_in_its_region_and_an_unchanged_one_is_not_written_again(publish, server, layers):
    report = publish(*regions_args(), "--ssm-parameter", TEMPLATE)
    arns = {
        (run["region"], item["target"]): item["arn"] for run in report["regions"] for item in run["layers"]
    }
    assert len(arns) == 4
    for region in REGIONS:
        for target in ("python3.12-x86_64", "python3.12-arm64"):
            stored = parameter(server, region, f"/layers/demo/{target}")
            assert stored["Value"] == arns[region, target] and stored["Version"] == 1
            assert f":{region}:" in stored["Value"]
    assert {item["status"] for item in report["ssm_parameters"]} == {"written"}

    again = publish(*regions_args(), "--ssm-parameter", TEMPLATE)
    assert {item["status"] for item in again["ssm_parameters"]} == {"unchanged"}
    assert parameter(server, "eu-west-1", "/layers/demo/python3.12-x86_64")["Version"] == 1

    layerfiles.write_layer(layers, content="v2")  # x86_64 changes, arm64 does not
    changed = publish(*regions_args(), "--ssm-parameter", TEMPLATE)
    status = {(i["region"], i["target"]): i["status"] for i in changed["ssm_parameters"]}
    assert status == {
        (region, target): "written" if target.endswith("x86_64") else "unchanged"
        for region in REGIONS
        for target in ("python3.12-x86_64", "python3.12-arm64")
    }
    stored = parameter(server, "us-east-1", "/layers/demo/python3.12-x86_64")
    assert stored["Version"] == 2 and stored["Value"].endswith(":2")


def test_a_dry_run_reads_the_parameters_and_writes_none(publish, server):
    report = publish("--region", "us-east-1", "--ssm-parameter", TEMPLATE, "--dry-run")
    assert {item["status"] for item in report["ssm_parameters"]} == {"planned"}
    with pytest.raises(ClientError, match="ParameterNotFound"):
        parameter(server, "us-east-1", "/layers/demo/python3.12-x86_64")


@pytest.mark.parametrize(
    ("template", "why"),
    [
        ("layers/{recipe}/{runtime}-{arch}", "must start with '/'"),
        ("/layers/{recipe} {runtime}-{arch}", "characters ' ' are not allowed"),
        ("/aws/{recipe}/{runtime}-{arch}", "reserved"),
        ("/SSM-{recipe}/{runtime}-{arch}", "reserved"),
        ("/l" * 16 + "/{runtime}-{arch}", "17 levels"),
        ("/" + "x" * 1000 + "/{runtime}-{arch}", "Parameter Store allows 1011"),
    ],
)
def test_a_name_parameter_store_refuses_is_refused_before_anything_is_published(
    cli, layers, server, seed, template, why
):
    result = cli(
        "publish", "demo", "--region", "us-east-1", "--ssm-parameter", template, "--layers-dir", str(layers),
        "--recipes", str(layers.parent / "recipes"),
    )  # fmt: skip
    assert result.exit_code == 2, result.stdout + result.stderr
    assert why in result.stderr and "nothing was published" in result.stderr
    assert seed.lam.list_layers()["Layers"] == []
    # The server (AWS's rules) refuses the same name: the tool's check is not stricter than AWS.
    name = template.format(recipe="demo", runtime="python3.12", arch="x86_64")
    with pytest.raises(ClientError) as refused:
        ssm(server, "us-east-1").put_parameter(Name=name, Value="x", Type="String")
    assert refused.value.response["Error"]["Code"] in (
        "ValidationException",
        "HierarchyLevelLimitExceededException",
        "AccessDeniedException",
    )


def test_one_name_for_two_targets_is_refused(cli, layers, server, seed):
    result = cli(
        "publish", "demo", "--region", "us-east-1", "--layers-dir", str(layers),
        "--recipes", str(layers.parent / "recipes"), "--ssm-parameter", "/layers/{recipe}/{runtime}",
    )  # fmt: skip
    assert result.exit_code == 2 and "the same name '/layers/demo/python3.12'" in result.stderr
    assert seed.lam.list_layers()["Layers"] == []


def test_the_publish_policy_covers_every_ssm_call(publish, server, calls):
    publish("--region", "us-east-1", "--ssm-parameter", TEMPLATE)
    made = {f"ssm:{operation}" for service, operation in calls if service == "ssm"}
    assert made == {"ssm:GetParameter", "ssm:PutParameter"}
    policy = publish_policy(account="123456789012", ssm_parameter=TEMPLATE)
    [statement] = [s for s in policy["Statement"] if any(a.startswith("ssm:") for a in s["Action"])]
    assert set(statement["Action"]) == made
    assert statement["Resource"] == "arn:aws:ssm:*:123456789012:parameter/layers/*/*-*"
    assert not any(a.startswith("ssm:") for s in publish_policy()["Statement"] for a in s["Action"])


# ---- a layers folder assembled from CI artifacts ----------------------------------------------


def test_artifacts_downloaded_side_by_side_are_published_and_a_conflict_names_both(
    cli, server, seed, tmp_path
):
    downloaded = tmp_path / "downloaded"
    for arch in ("x86_64", "arm64"):  # upload-artifact of layers/demo/<target>/: files at the top
        built = layerfiles.write_layer(tmp_path / "build" / arch, arch=arch)
        shutil.copytree(built, downloaded / f"layer-demo-python3.12-{arch}")
    (tmp_path / "recipes").mkdir()
    args = [
        "publish",
        "demo",
        "--region",
        "us-east-1",
        "--layers-dir",
        str(downloaded),
        "--recipes",
        str(tmp_path / "recipes"),
    ]
    report = cli.json(*args)
    assert sorted(item["target"] for item in report["regions"][0]["layers"]) == [
        "python3.12-arm64",
        "python3.12-x86_64",
    ]
    assert (downloaded / "layer-demo-python3.12-x86_64" / "published.json").is_file()

    rebuilt = layerfiles.write_layer(tmp_path / "rebuild", content="other")  # a second job, other bytes
    shutil.copytree(rebuilt, downloaded / "layer-demo-python3.12-x86_64-retry")
    result = cli(*args)
    assert result.exit_code == 2, result.stderr
    text = " ".join(result.stderr.split())
    assert "built twice with different content" in text
    assert "layer-demo-python3.12-x86_64 " in text and "layer-demo-python3.12-x86_64-retry" in text
    assert len(seed.lam.list_layer_versions(LayerName="demo-py312-x86_64")["LayerVersions"]) == 1
