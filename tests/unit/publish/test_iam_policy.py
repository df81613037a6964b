"""`iam-policy publish` (and `iam-policy prune`; the group is builder/policies/cli.py)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from builder.cli import COMMANDS, app
from builder.publish.iampolicy import publish_policy

runner = CliRunner()


def resources(policy: dict) -> list[str]:
    found: list[str] = []
    for statement in policy["Statement"]:
        value = statement["Resource"]
        found += value if isinstance(value, list) else [value]
    return found


def test_the_policy_names_the_layer_actions_and_only_that_bucket():
    policy = json.loads(
        runner.invoke(app, ["iam-policy", "publish", "--bucket", "team-layers-{region}"]).stdout
    )
    assert policy == publish_policy(bucket="team-layers-{region}")
    found = resources(policy)
    assert "*" not in found
    assert "arn:aws:s3:::team-layers-*" in found
    assert all(r.startswith("arn:aws:s3:::team-layers-*") for r in found if ":s3:" in r)
    actions = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert "lambda:PublishLayerVersion" in actions and "s3:PutObject" in actions
    # The one delete: the duplicate version a concurrent publish of the same content made
    # (publish/once.py), on layer version ARNs only.
    assert not any(
        a.endswith("*") or a.startswith(("lambda:Delete", "lambda:Remove", "s3:DeleteBucket"))
        for a in actions - {"lambda:DeleteLayerVersion"}
    )
    deleting = [s for s in policy["Statement"] if "lambda:DeleteLayerVersion" in s["Action"]]
    arns = [
        r for s in deleting for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    ]
    assert arns and all(r.endswith(":*") and ":layer:" in r for r in arns), deleting
    assert not any(a in actions for a in ("s3:ListAllMyBuckets", "lambda:ListLayers", "s3:PutBucketPolicy"))


def test_account_and_default_bucket():
    policy = publish_policy(account="123456789012")
    assert "arn:aws:s3:::layer-builder-123456789012-*" in resources(policy)
    assert "arn:aws:lambda:*:123456789012:layer:*" in resources(policy)


def test_both_policies_come_from_one_module():
    assert COMMANDS["iam-policy"] == "builder.policies.cli"
    listing = runner.invoke(app, ["iam-policy", "--help"])
    assert "prune" in listing.stdout and "publish" in listing.stdout
    bad = runner.invoke(app, ["iam-policy", "publish", "--bucket", "Bad_{region}"])
    assert bad.exit_code == 2 and "not a valid S3 bucket name" in bad.stderr


def test_ssm_parameters_only_when_asked_and_only_the_templates_names():
    plain = runner.invoke(app, ["iam-policy", "publish"]).stdout
    assert "ssm:" not in plain
    result = runner.invoke(
        app,
        [
            "iam-policy",
            "publish",
            "--account",
            "123456789012",
            "--ssm-parameter",
            "/layers/{recipe}/{runtime}-{arch}",
        ],
    )
    assert result.exit_code == 0, result.output
    [statement] = [s for s in json.loads(result.stdout)["Statement"] if s["Sid"] == "WriteLayerArnParameters"]
    assert statement["Action"] == ["ssm:GetParameter", "ssm:PutParameter"]
    assert statement["Resource"] == "arn:aws:ssm:*:123456789012:parameter/layers/*/*-*"
    flat = publish_policy(ssm_parameter="layer-{recipe}")["Statement"][-1]["Resource"]
    assert flat == "arn:aws:ssm:*:*:parameter/layer-*"  # a name without levels: parameter/NAME
    bad = runner.invoke(app, ["iam-policy", "publish", "--ssm-parameter", "/layers/{recipe} x"])
    assert bad.exit_code == 2 and "not a parameter name template" in bad.stderr
