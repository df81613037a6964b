"""The scheduled job's configuration, its deployment zip, its SAM template and the IAM policy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
import zipfile

import pytest
import yaml
from support.paths import REPO

from builder import accounts
from builder.cleanup import iampolicy, job
from builder.errors import ConfigError

TEMPLATE = REPO / "deploy" / "cleanup-job" / "template.yaml"


def test_defaults_are_a_dry_run_in_the_jobs_own_region():
    request, apply = job.request_from({"AWS_REGION": "eu-central-1"})
    assert apply is False
    assert list(request.scope.regions.known() or ()) == ["eu-central-1"]
    assert request.scope.accounts == (accounts.Role(None),)
    assert request.policy.keep == 3 and request.policy.target_usage is None


def test_every_setting_is_read_from_the_environment():
    request, apply = job.request_from(
        {
            "AWS_REGION": "eu-central-1",
            "PRUNE_REGIONS": "us-east-1, eu-west-1",
            "PRUNE_ROLE_ARNS": "arn:aws:iam::111111111111:role/cleanup,arn:aws:iam::222222222222:role/cleanup",
            "PRUNE_KEEP": "0",
            "PRUNE_OLDER_THAN_DAYS": "30",
            "PRUNE_FUNCTIONS": "api-*,worker",
            "PRUNE_LAYERS": "sci-*",
            "PRUNE_TARGET_USAGE": "80",
            "PRUNE_APPLY": "true",
            "PRUNE_MAX_ATTEMPTS": "4",
        }
    )
    assert apply is True
    assert list(request.scope.regions.known() or ()) == ["us-east-1", "eu-west-1"]
    assert len(request.scope.accounts) == 2
    policy = request.policy
    assert (policy.keep, policy.older_than_days, policy.functions, policy.layers, policy.target_usage) == (
        0,
        30,
        ("api-*", "worker"),
        ("sci-*",),
        80.0,
    )
    assert request.scope.options.max_attempts == 4


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRUNE_APPLY": "ture"}, "PRUNE_APPLY must be true or false"),
        ({"PRUNE_KEEP": "0"}, "--keep 0"),
        ({"PRUNE_KEEP": "three"}, "PRUNE_KEEP must be a whole number"),
        ({"AWS_REGION": ""}, "PRUNE_REGIONS is empty"),
        ({"PRUNE_FUNCTIONS": "api-*,"}, "PRUNE_FUNCTIONS got an empty pattern"),
        ({"PRUNE_LAYERS": " , "}, "PRUNE_LAYERS got an empty pattern"),
    ],
)
def test_bad_settings_stop_the_job_before_any_call(env, message):
    with pytest.raises(ConfigError, match=message):
        job.request_from({"AWS_REGION": "eu-west-1", **env})


def test_package_is_reproducible_and_holds_the_handler(tmp_path):
    first, digest = job.package(tmp_path / "a" / "job.zip")
    _, again = job.package(tmp_path / "b" / "job.zip")
    assert digest == again
    names = zipfile.ZipFile(first).namelist()
    assert "builder/cleanup/job.py" in names and "builder/data/limits.toml" in names
    assert "builder/cleanup/cli.py" not in names and "builder/cli.py" not in names


def test_packaged_job_imports_without_the_cli_dependencies(tmp_path):
    path, _ = job.package(tmp_path / "job.zip")
    code = tmp_path / "code"
    zipfile.ZipFile(path).extractall(code)
    # -S: no site-packages .pth files, so the editable install cannot supply `builder`; boto3 is
    # added by hand as the Lambda runtime provides it, and the CLI's libraries are blocked.
    script = f"""
import sys
sys.path[:0] = [{str(code)!r}, {sysconfig.get_paths()["purelib"]!r}]
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("typer", "rich", "click", "docker"):
            raise ImportError("the job must not need " + name)
sys.meta_path.insert(0, Block())
import builder.cleanup.job as job
from builder.runtimes import limits
assert job.__file__.startswith({str(code)!r}), job.__file__
assert limits().default_code_storage_bytes > 0
print(job.HANDLER)
"""
    result = subprocess.run([sys.executable, "-S", "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "builder.cleanup.job.handler"


def _template():
    return yaml.safe_load(TEMPLATE.read_text())


def test_template_grants_exactly_the_printed_policy():
    roles = _template()["Resources"]["CleanupRole"]["Properties"]["Policies"]
    statements = next(p for p in roles if p["PolicyName"] == "prune")["PolicyDocument"]["Statement"]
    for statement in statements:
        resource = statement["Resource"]
        statement["Resource"] = resource["Fn::Sub"] if isinstance(resource, dict) else resource
    printed = iampolicy.policy_document(partition="${AWS::Partition}", account="${AWS::AccountId}")[
        "Statement"
    ]
    assert statements == printed


def test_template_runs_the_packaged_handler_on_a_schedule_as_a_dry_run_by_default():
    template = _template()
    function = template["Resources"]["CleanupFunction"]["Properties"]
    assert function["Handler"] == job.HANDLER
    assert (TEMPLATE.parent / function["CodeUri"]).resolve() == (
        TEMPLATE.parents[2] / "build" / "cleanup-job.zip"
    )
    assert template["Parameters"]["Apply"]["Default"] == "false"
    assert function["Events"]["Scheduled"]["Type"] == "Schedule"
    variables = set(function["Environment"]["Variables"])
    documented = set(re.findall(r"^\s+(PRUNE_[A-Z_]+)", job.__doc__ or "", re.MULTILINE))
    assert variables == documented - {"PRUNE_MAX_ATTEMPTS"}


def test_printed_policy_can_delete_versions_but_not_whole_functions():
    policy = iampolicy.prune_policy(
        account="123456789012", assume=("arn:aws:iam::111111111111:role/cleanup",)
    )
    deletes = {s["Sid"]: s for s in policy["Statement"]}
    assert deletes["DeleteFunctionVersions"]["Resource"] == "arn:aws:lambda:*:123456789012:function:*:*"
    assert deletes["AssumeCleanupRoles"]["Resource"] == ["arn:aws:iam::111111111111:role/cleanup"]
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert not {
        a for a in actions if a.startswith("lambda:") and not re.match(r"lambda:(List|Get|Delete)", a)
    }
    json.dumps(policy)
