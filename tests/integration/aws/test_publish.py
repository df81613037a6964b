"""`layer-builder publish` through the real CLI against the moto server over HTTP: direct and S3
uploads, unchanged content, sharing, several regions with one failing, the dry run, bad input."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from support import layerfiles

pytestmark = pytest.mark.aws

REGION = "us-east-1"
NAME = "demo-py312-x86_64"
LARGE = 52_500_000  # over 50 MB zipped: a direct upload would be over 69,905,067 request bytes


@pytest.fixture
def layers(tmp_path: Path) -> Path:
    layerfiles.write_layer(tmp_path / "layers")
    (tmp_path / "recipes").mkdir()
    return tmp_path / "layers"


@pytest.fixture
def publish(cli: Any, layers: Path) -> Callable[..., Any]:
    """Run `publish demo` on the test's layers folder; json=True parses --json output."""

    def run(*args: str, json_out: bool = False, expect: int = 0) -> Any:
        base = ["publish", "demo", "--layers-dir", str(layers), "--recipes", str(layers.parent / "recipes")]
        if json_out:
            return cli.json(*base, *args, expect=expect)
        return cli(*base, *args)

    return run


def versions(lam: Any, name: str = NAME) -> list[int]:
    return sorted(v["Version"] for v in lam.list_layer_versions(LayerName=name)["LayerVersions"])


def layer_result(report: dict[str, Any], region: str = REGION) -> dict[str, Any]:
    run = next(r for r in report["regions"] if r["region"] == region)
    assert run["error"] is None, run
    return run["layers"][0]  # type: ignore[no-any-return]


def code_sha256(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def policy_statements(lam: Any, version: int, name: str = NAME) -> list[dict[str, Any]]:
    try:
        answer = lam.get_layer_version_policy(LayerName=name, VersionNumber=version)
    except lam.exceptions.ResourceNotFoundException:
        return []
    return json.loads(answer["Policy"])["Statement"]  # type: ignore[no-any-return]


# ---- publishing and idempotence ----------------------------------------------------------------


def test_small_layer_is_published_directly_and_unchanged_content_is_not_published_again(
    publish, seed, server, layers
):
    report = publish("--region", REGION, json_out=True)
    result = layer_result(report)
    assert result["status"] == "published" and result["version"] == 1 and result["upload"] is None
    zip_path = layers / "demo" / "python3.12-x86_64" / "layer.zip"
    got = seed.lam.get_layer_version(LayerName=NAME, VersionNumber=1)
    assert got["Content"]["CodeSha256"] == code_sha256(zip_path)
    assert got["CompatibleRuntimes"] == ["python3.12"] and got["CompatibleArchitectures"] == ["x86_64"]
    assert got["LicenseInfo"] == "BSD-3-Clause"
    assert "numpy==2.5.5 scipy==1.18.1" in got["Description"]
    assert hashlib.sha256(zip_path.read_bytes()).hexdigest() in got["Description"]
    assert server.ext.s3_requests == []  # small enough: no bucket involved

    again = layer_result(publish("--region", REGION, json_out=True))
    assert again["status"] == "unchanged" and again["arn"] == result["arn"]
    assert versions(seed.lam) == [1]

    published = json.loads((zip_path.parent / "published.json").read_text())
    assert published["accounts"][seed.account][REGION]["arn"] == result["arn"]
    assert published["code_sha256"] == code_sha256(zip_path)


def test_changed_layer_publishes_exactly_one_new_version(publish, seed, layers):
    first = layer_result(publish("--region", REGION, json_out=True))
    layerfiles.write_layer(layers, content="v2")
    second = layer_result(publish("--region", REGION, json_out=True))
    assert second["status"] == "published" and second["version"] == 2
    assert any("newest version 1 has CodeSha256" in step["reason"] for step in second["steps"])
    assert versions(seed.lam) == [1, 2]
    assert layer_result(publish("--region", REGION, json_out=True))["status"] == "unchanged"
    assert versions(seed.lam) == [1, 2]
    published = json.loads((layers / "demo" / "python3.12-x86_64" / "published.json").read_text())
    assert published["accounts"][seed.account][REGION]["arn"] == second["arn"] != first["arn"]


def test_after_the_newest_version_is_deleted_the_newest_remaining_one_decides(publish, seed, layers):
    layer_result(publish("--region", REGION, json_out=True))  # v1: content v1
    layerfiles.write_layer(layers, content="v2")
    layer_result(publish("--region", REGION, json_out=True))  # v2: content v2
    seed.lam.delete_layer_version(LayerName=NAME, VersionNumber=2)
    again = layer_result(publish("--region", REGION, json_out=True))
    assert again["status"] == "published" and again["version"] == 3  # numbers are never reused
    layerfiles.write_layer(layers, content="v1")
    assert layer_result(publish("--region", REGION, json_out=True))["version"] == 4  # v1 is not the newest


def test_human_output_lists_the_arn(publish):
    result = publish("--region", REGION)
    assert result.exit_code == 0, result.stderr
    assert f"arn:aws:lambda:{REGION}:123456789012:layer:{NAME}:1" in result.stdout.replace("\n", "")


# ---- large zips through S3 ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def large_layers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("large")
    layerfiles.write_layer(root / "layers", content="large", payload_bytes=LARGE)
    (root / "recipes").mkdir()
    return root / "layers"


@pytest.fixture
def publish_large(cli: Any, large_layers: Path) -> Callable[..., Any]:
    def run(*args: str, json_out: bool = True, expect: int = 0) -> Any:
        recipes = large_layers.parent / "recipes"
        base = ["publish", "demo", "--layers-dir", str(large_layers), "--recipes", str(recipes)]
        if json_out:
            return cli.json(*base, *args, expect=expect)
        return cli(*base, *args)

    return run


# What publishing calls -> the IAM action each needs (S3's managed upload calls several APIs
# that all need s3:PutObject: https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html).
S3_ACTIONS = {
    "CreateBucket": "s3:CreateBucket",
    "GetBucketLocation": "s3:GetBucketLocation",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "PutObject": "s3:PutObject",
    "CreateMultipartUpload": "s3:PutObject",
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "DeleteObject": "s3:DeleteObject",
}


def test_large_layer_goes_through_a_created_private_bucket_and_the_upload_is_removed(
    publish_large, seed, server, large_layers, calls, cli
):
    missing = publish_large("--region", REGION, json_out=False)
    assert missing.exit_code == 2 and "--create-bucket" in missing.stderr, missing.stderr
    assert "nothing was published" in missing.stderr and versions(seed.lam) == []

    calls.clear()
    server.ext.s3_requests.clear()
    report = publish_large("--region", REGION, "--create-bucket", "--share-with", "210987654321")
    result = layer_result(report)
    bucket = f"layer-builder-{seed.account}-{REGION}"
    assert result["status"] == "published" and result["upload"]["bucket"] == bucket
    zip_path = large_layers / "demo" / "python3.12-x86_64" / "layer.zip"
    got = seed.lam.get_layer_version(LayerName=NAME, VersionNumber=1)
    assert got["Content"]["CodeSha256"] == code_sha256(zip_path)

    requests = list(server.ext.s3_requests)
    s3 = seed.session.client("s3", endpoint_url=server.url)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0  # the upload was deleted
    blocks = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocks.values()) and len(blocks) == 4
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert lifecycle["Expiration"]["Days"] == 1 and lifecycle["Filter"]["Prefix"] == "layer-builder/uploads/"

    assert len([r for r in requests if "uploadId" in r.query]) >= 7  # 8 MB parts: a multipart upload
    # CreateBucket cannot carry ExpectedBucketOwner; every other call on the bucket does.
    creates = [r for r in requests if r.method == "PUT" and r.path.strip("/") == bucket and not r.query]
    assert len(creates) == 1
    assert all(r.expected_owner == seed.account for r in requests if r not in creates)
    assert {r.bucket for r in requests} == {bucket}

    # Least privilege: every call publishing made is allowed by `iam-policy publish`.
    policy = json.loads(cli("iam-policy", "publish").stdout)
    allowed = {action for statement in policy["Statement"] for action in statement["Action"]}
    needed = {f"lambda:{op}" if service == "lambda" else S3_ACTIONS[op] for service, op in calls}
    assert needed <= allowed, needed - allowed
    assert {"lambda:PublishLayerVersion", "lambda:AddLayerVersionPermission", "s3:PutObject"} <= needed

    # The server refuses what the plan avoided: the same zip sent directly.
    with pytest.raises(seed.lam.exceptions.ClientError, match="RequestEntityTooLarge"):
        seed.lam.publish_layer_version(LayerName="direct", Content={"ZipFile": zip_path.read_bytes()})


def test_keep_upload_leaves_the_zip_in_an_existing_bucket(publish_large, seed, server):
    s3 = seed.session.client("s3", endpoint_url=server.url)
    s3.create_bucket(Bucket="my-uploads")
    result = layer_result(publish_large("--region", REGION, "--bucket", "my-uploads", "--keep-upload"))
    assert result["status"] == "published"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="my-uploads")["Contents"]]
    assert keys == [result["upload"]["key"]] and keys[0].startswith("layer-builder/kept/")


def other_account(server: Any, account: str = "210987654321") -> boto3.Session:
    """Credentials of another account: moto maps an assumed role's keys to the role's account."""
    sts = boto3.client("sts", endpoint_url=server.url, region_name=REGION)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/other", RoleSessionName="other")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def test_a_bucket_of_another_account_or_in_another_region_is_refused(publish_large, seed, server):
    other_account(server).client("s3", endpoint_url=server.url).create_bucket(Bucket="someone-elses")
    seed.session.client("s3", endpoint_url=server.url).create_bucket(
        Bucket="west-uploads", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    server.ext.s3_requests.clear()
    for bucket, message in (
        ("someone-elses", "belongs to another account"),
        ("west-uploads", "is in eu-west-1"),
    ):
        failed = publish_large("--region", REGION, "--bucket", bucket, json_out=False)
        assert failed.exit_code == 2 and message in failed.stderr, failed.stderr
    assert versions(seed.lam) == []
    assert not [r for r in server.ext.s3_requests if r.method not in ("GET", "HEAD")]  # nothing uploaded


# ---- sharing -------------------------------------------------------------------------------------


def test_sharing_with_an_account_and_an_organization_and_public_only_when_asked(publish, seed):
    shared = ("--share-with", "210987654321", "--share-with", "o-a1b2c3d4e5")
    first = layer_result(publish("--region", REGION, *shared, json_out=True))
    assert {g["value"] for g in first["permissions_added"]} == {"210987654321", "o-a1b2c3d4e5"}
    statements = policy_statements(seed.lam, 1)
    assert len(statements) == 2
    principals = {json.dumps(st["Principal"], sort_keys=True) for st in statements}
    assert principals == {json.dumps({"AWS": "arn:aws:iam::210987654321:root"}), json.dumps("*")}
    org = next(st for st in statements if st["Principal"] == "*")
    assert org["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}  # not public

    again = layer_result(publish("--region", REGION, *shared, json_out=True))
    assert again["status"] == "unchanged" and again["permissions_added"] == []
    assert len(again["permissions_present"]) == 2 and len(policy_statements(seed.lam, 1)) == 2

    public = layer_result(publish("--region", REGION, *shared, "--public", json_out=True))
    assert public["permissions_added"] == [{"kind": "public", "value": "*"}]
    assert len(policy_statements(seed.lam, 1)) == 3

    # Not asked for any more: reported, never removed.
    narrower = layer_result(publish("--region", REGION, "--share-with", "210987654321", json_out=True))
    assert {g["kind"] for g in narrower["permissions_not_asked"]} == {"organization", "public"}
    assert len(policy_statements(seed.lam, 1)) == 3
    assert versions(seed.lam) == [1]


def test_a_new_version_gets_the_permissions_again(publish, seed, layers):
    publish("--region", REGION, "--share-with", "210987654321", json_out=True)
    layerfiles.write_layer(layers, content="v2")
    result = layer_result(publish("--region", REGION, "--share-with", "210987654321", json_out=True))
    assert result["version"] == 2 and len(policy_statements(seed.lam, 2)) == 1
    assert not any(st["Principal"] == "*" for st in policy_statements(seed.lam, 2))


# ---- several regions and accounts ------------------------------------------------------------------


def test_one_failing_region_does_not_stop_the_other_and_a_rerun_completes_it(publish, seed, server, layers):
    server.fail_region("eu-west-1")
    failed = publish("--region", REGION, "--region", "eu-west-1", json_out=True, expect=9)
    assert layer_result(failed, REGION)["status"] == "published"
    west = next(r for r in failed["regions"] if r["region"] == "eu-west-1")
    assert "UnrecognizedClientException" in west["error"]
    published = layers / "demo" / "python3.12-x86_64" / "published.json"
    assert set(json.loads(published.read_text())["accounts"][seed.account]) == {REGION}

    server.ext.faults.clear()
    done = publish("--region", REGION, "--region", "eu-west-1", json_out=True)
    assert layer_result(done, REGION)["status"] == "unchanged"
    assert layer_result(done, "eu-west-1")["status"] == "published"
    assert versions(seed.lam) == [1]
    west_lam = boto3.client("lambda", region_name="eu-west-1", endpoint_url=server.url)
    assert versions(west_lam) == [1]
    assert set(json.loads(published.read_text())["accounts"][seed.account]) == {REGION, "eu-west-1"}


def test_human_output_reports_the_failed_region_and_exits_non_zero(publish, server):
    server.fail_region("eu-west-1")
    result = publish("--region", REGION, "--region", "eu-west-1")
    assert result.exit_code == 9
    assert "eu-west-1" in result.stderr and "UnrecognizedClientException" in result.stderr
    assert "1 of 2 layer publications failed" in result.stderr


def test_a_rerun_after_a_failed_permission_adds_it_without_a_new_version(publish, seed, server):
    server.fail(
        lambda r: r.method == "POST" and r.path.endswith("/policy"),
        status=403,
        code="AccessDeniedException",
        message="not allowed",
        times=1,
    )
    failed = layer_result(
        publish("--region", REGION, "--share-with", "210987654321", json_out=True, expect=9)
    )
    assert failed["status"] == "failed" and failed["version"] == 1 and "AccessDenied" in failed["error"]
    done = layer_result(publish("--region", REGION, "--share-with", "210987654321", json_out=True))
    assert done["status"] == "unchanged" and len(done["permissions_added"]) == 1
    assert versions(seed.lam) == [1] and len(policy_statements(seed.lam, 1)) == 1


def test_several_accounts_through_roles(publish, server, layers):
    roles = ["arn:aws:iam::111111111111:role/publisher", "arn:aws:iam::222222222222:role/publisher"]
    args = [arg for role in roles for arg in ("--role-arn", role)]
    report = publish("--region", REGION, "--region", "eu-west-1", *args, json_out=True)
    assert {(r["account"], r["region"]) for r in report["regions"]} == {
        (account, region) for account in ("111111111111", "222222222222") for region in (REGION, "eu-west-1")
    }
    assert {r["layers"][0]["arn"].split(":")[4] for r in report["regions"]} == {
        "111111111111",
        "222222222222",
    }
    published = json.loads((layers / "demo" / "python3.12-x86_64" / "published.json").read_text())
    assert set(published["accounts"]) == {"111111111111", "222222222222"}


# ---- dry run -------------------------------------------------------------------------------------


def test_dry_run_reads_and_plans_but_changes_nothing(publish_large, server, seed):
    methods: list[str] = []
    server.ext.hooks.append(lambda request: methods.append(request.method))
    result = publish_large(
        "--region", REGION, "--create-bucket", "--share-with", "210987654321", "--dry-run", json_out=False
    )
    assert result.exit_code == 0, result.stderr
    for step in ("create-bucket", "upload", "publish", "delete-upload", "add-permission"):
        assert step in result.stdout
    assert "69,905,067" in result.stdout and "no version of this layer yet" in result.stdout
    assert methods and set(methods) == {"GET"}
    assert {r.method for r in server.ext.s3_requests} <= {"GET", "HEAD"}
    assert seed.session.client("s3", endpoint_url=server.url).list_buckets()["Buckets"] == []
    assert versions(seed.lam) == []


# ---- warnings and bad input ------------------------------------------------------------------------


def test_a_runtime_lambda_blocks_updates_for_is_published_with_a_warning(cli, server, tmp_path):
    layerfiles.write_layer(tmp_path / "layers", runtime="python3.11")
    result = cli("publish", "demo", "--layers-dir", str(tmp_path / "layers"), "--region", REGION, "--json")
    assert result.exit_code == 0, result.stderr
    warning = json.loads(result.stdout)["layers"][0]["warnings"][0]
    assert "python3.11" in warning and "2026-08-31" in warning
    assert "warning" in result.stderr and "2026-08-31" in result.stderr


def run_bad(cli: Any, layers: Path, *args: str) -> Any:
    return cli(
        "publish", "demo", "--layers-dir", str(layers), "--recipes", str(layers.parent / "recipes"), *args
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("--region", "us-east-1", "--share-with", "12345"),
            2,
            "neither an account id nor an organization id",
        ),
        (
            ("--region", "us-east-1", "--share-with", "o-ABC"),
            2,
            "neither an account id nor an organization id",
        ),
        (("--region", "ap-southeast-22"), 2, "unknown region 'ap-southeast-22' (did you mean"),
        (("--region", "us-east-1", "--region", "eu-west-1", "--bucket", "fixed"), 2, "own region"),
        (("--region", "us-east-1", "--runtime", "python3.13"), 2, "layer-builder build demo -r python3.13"),
        (("--region", "us-east-1", "--layer-name", "has.dot"), 2, "not valid for Lambda"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(cli, server, layers, seed, args, code, message):
    calls: list[str] = []
    server.ext.hooks.append(lambda request: calls.append(request.path))
    result = run_bad(cli, layers, *args)
    assert result.exit_code == code and message in result.stderr, result.stderr
    assert calls == []


def test_unknown_recipe_and_unbuilt_recipe(cli, server, tmp_path):
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "scipy-stack.toml").write_text('[layer]\nrequirements = ["scipy"]\n')
    args = (
        "--layers-dir",
        str(tmp_path / "layers"),
        "--recipes",
        str(tmp_path / "recipes"),
        "--region",
        REGION,
    )
    unknown = cli("publish", "scipy-stak", *args)
    assert unknown.exit_code == 3 and "did you mean 'scipy-stack'" in unknown.stderr
    unbuilt = cli("publish", "scipy-stack", *args)
    assert unbuilt.exit_code == 2 and "layer-builder build scipy-stack" in unbuilt.stderr


def test_a_zip_changed_after_the_build_is_refused(publish, layers, seed):
    zip_path = layers / "demo" / "python3.12-x86_64" / "layer.zip"
    zip_path.write_bytes(zip_path.read_bytes() + b"tampered")
    result = publish("--region", REGION)
    assert result.exit_code == 10 and "changed after the build" in result.stderr
    assert seed.lam.list_layers()["Layers"] == []


def test_a_manifest_edited_to_match_a_changed_zip_is_refused(publish, layers, seed):
    folder = layers / "demo" / "python3.12-x86_64"
    zip_path = folder / "layer.zip"
    zip_path.write_bytes(zip_path.read_bytes() + b"tampered")
    data = json.loads((folder / "manifest.json").read_text())
    data["zip"]["sha256"] = hashlib.sha256(zip_path.read_bytes()).hexdigest()  # code_sha256 left as built
    (folder / "manifest.json").write_text(json.dumps(data))
    result = publish("--region", REGION)
    assert result.exit_code == 10 and "does not agree with itself" in result.stderr, result.stderr
    assert seed.lam.list_layers()["Layers"] == []


def test_a_failed_verification_or_another_schema_is_refused(cli, server, tmp_path, seed):
    root = tmp_path / "layers"
    layerfiles.write_layer(root, recipe="broken", smoke="failed")
    failed = cli("publish", "broken", "--layers-dir", str(root), "--region", REGION)
    assert failed.exit_code == 10 and "failed its verification" in failed.stderr
    folder = layerfiles.write_layer(root, recipe="old")
    data = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**data, "schema": 1}))
    old = cli("publish", "old", "--layers-dir", str(root), "--region", REGION)
    assert old.exit_code == 10 and "manifest schema 1" in old.stderr and "rebuild" in old.stderr
    assert seed.lam.list_layers()["Layers"] == []


def test_missing_credentials(cli, server, layers, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_bad(cli, layers, "--region", REGION)
    assert result.exit_code == 9 and "no AWS credentials" in result.stderr


def test_every_built_target_is_published_under_its_own_name(cli, server, tmp_path, seed):
    root = tmp_path / "layers"
    for arch in ("x86_64", "arm64"):
        layerfiles.write_layer(root, arch=arch, content=arch)
    args = (
        "publish",
        "demo",
        "--layers-dir",
        str(root),
        "--region",
        REGION,
        "--layer-name",
        "team-{py}-{arch}",
    )
    report = cli.json(*args)
    names = {layer["layer_name"]: layer["version"] for layer in report["regions"][0]["layers"]}
    assert names == {"team-py312-x86_64": 1, "team-py312-arm64": 1}
    arm = seed.lam.get_layer_version(LayerName="team-py312-arm64", VersionNumber=1)
    assert arm["CompatibleArchitectures"] == ["arm64"]
    for arch in ("x86_64", "arm64"):
        published = json.loads((root / "demo" / f"python3.12-{arch}" / "published.json").read_text())
        assert published["accounts"][seed.account][REGION]["layer_name"] == f"team-py312-{arch}"
    one_name = cli("publish", "demo", "--layers-dir", str(root), "--region", REGION, "--layer-name", "team")
    assert one_name.exit_code == 2 and "would both be published as 'team'" in one_name.stderr
