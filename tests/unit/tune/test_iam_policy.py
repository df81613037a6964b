"""`iam-policy tune`: every call the sweep makes is allowed, on the function's ARNs only."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from typer.testing import CliRunner

from builder.cli import app
from builder.tune import iampolicy, sweep

# boto3 method -> IAM action
ACTIONS = {
    "get_function_configuration": "lambda:GetFunctionConfiguration",
    "get_paginator": "lambda:ListVersionsByFunction",
    "update_function_configuration": "lambda:UpdateFunctionConfiguration",
    "publish_version": "lambda:PublishVersion",
    "invoke": "lambda:InvokeFunction",
    "delete_function": "lambda:DeleteFunction",
}


def test_every_lambda_call_of_the_sweep_is_in_the_policy():
    tree = ast.parse(Path(sweep.__file__).read_text())
    called = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr in ("control", "invoker")
    } | {"get_function_configuration", "get_paginator"}
    allowed = {a for st in iampolicy.tune_policy()["Statement"] for a in st["Action"]}
    assert called <= set(ACTIONS), called - set(ACTIONS)
    assert {ACTIONS[c] for c in called} <= allowed


def test_the_cli_prints_a_policy_limited_to_the_function():
    result = CliRunner().invoke(
        app, ["iam-policy", "tune", "--function", "report-*", "--account", "123456789012"]
    )
    assert result.exit_code == 0, result.stderr
    policy = json.loads(result.stdout)
    resources = [
        r
        for st in policy["Statement"]
        for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
    ]
    assert all(r.startswith("arn:aws:lambda:*:123456789012:function:report-*") for r in resources)
    assert not any(a.endswith("*") for st in policy["Statement"] for a in st["Action"])
