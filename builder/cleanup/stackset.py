"""One deployment of the scheduled cleanup job for a whole organization: a CloudFormation StackSet.

Service-managed permissions with automatic deployment: CloudFormation creates the job's stack in
every account of the chosen OUs, in each chosen region, and in every account that joins them
later. A StackSet cannot use the SAM transform, so the template here is plain CloudFormation
(a function, its role and log group, an EventBridge rule and the permission it needs).

The code: Lambda reads a function's zip from a bucket in the function's own region, so the zip is
staged in one bucket per region, `<code-bucket>-<region>`, whose policy lets every account of the
organization read it (aws:PrincipalOrgID). Each stack's job prunes its own region and, with a
report bucket, writes its JSON report to `s3://<report-bucket>/<account>/<region>/<date>.json`;
the report bucket uses bucket-owner-enforced object ownership, so the organization's reports all
belong to the bucket's account and `storage --from-reports` reads them without touching members.

Pure: builds the template, the bucket policies and the commands; cli.py prints or runs them.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from builder import aws
from builder.cleanup import iampolicy
from builder.cleanup.job import HANDLER
from builder.errors import AwsError, ConfigError

BUCKET = re.compile(r"(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
DEFAULT_NAME = "layer-builder-cleanup"
CODE_KEY = "layer-builder/cleanup-job.zip"


@dataclass(frozen=True, kw_only=True)
class StackSetRequest:
    ous: tuple[str, ...]
    regions: tuple[str, ...]
    partition: str
    code_bucket: str  # prefix: the bucket of region R is f"{code_bucket}-{R}"
    report_bucket: str | None = None
    name: str = DEFAULT_NAME
    apply: bool = False
    unused_days: int | None = None
    delete_unused: bool = False

    def code_bucket_in(self, region: str) -> str:
        return f"{self.code_bucket}-{region}"


def report_bucket_name(value: str, partition: str) -> str:
    """A bucket name, or an S3 ARN of the same partition (a bucket of another partition can never
    receive the reports: partitions share no credentials)."""
    name = value
    if value.startswith("arn:"):
        parts = value.split(":")
        if len(parts) < 6 or parts[2] != "s3":
            raise ConfigError(
                f"not an S3 bucket ARN: {value!r}", hint="give the bucket's name or arn:aws:s3:::NAME"
            )
        if parts[1] != partition:
            raise ConfigError(
                f"--report-bucket {value} is in the {parts[1]} partition, the stack set deploys to {partition}",
                hint="give a bucket in the same partition as the regions",
            )
        name = parts[5]
    elif value.startswith("s3://"):
        name = value.removeprefix("s3://").split("/")[0]
    if not BUCKET.fullmatch(name) or ".." in name:
        raise ConfigError(
            f"not a valid S3 bucket name: {name!r}", hint="3-63 lower-case letters, digits, dots, hyphens"
        )
    return name


def template(request: StackSetRequest) -> dict[str, Any]:
    prune = iampolicy.policy_document(
        partition="${AWS::Partition}",
        account="${AWS::AccountId}",
        region="${AWS::Region}",
        unused_functions=request.delete_unused,
    )
    statements: list[dict[str, Any]] = [
        {**s, "Resource": s["Resource"] if s["Resource"] == "*" else {"Fn::Sub": s["Resource"]}}
        for s in prune["Statement"]
    ]
    statements.append(
        {
            "Sid": "WriteOwnLog",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["LogGroup", "Arn"]},
        }
    )
    if request.report_bucket:
        statements.append(
            {
                "Sid": "WriteReport",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": {
                    "Fn::Sub": "arn:${AWS::Partition}:s3:::${ReportBucket}/${AWS::AccountId}/${AWS::Region}/*"
                },
            }
        )
    variables = {
        "PRUNE_REGIONS": {"Ref": "AWS::Region"},
        "PRUNE_APPLY": {"Ref": "Apply"},
        "PRUNE_UNUSED_DAYS": {"Ref": "UnusedDays"},
        "PRUNE_DELETE_UNUSED": {"Ref": "DeleteUnused"},
        "PRUNE_REPORT_BUCKET": {"Ref": "ReportBucket"},
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "layer-builder storage cleanup job, one per account and region (StackSet)",
        "Parameters": {
            "Schedule": {"Type": "String", "Default": "rate(1 day)", "Description": "EventBridge schedule."},
            "Apply": {"Type": "String", "AllowedValues": ["false", "true"], "Default": _flag(request.apply)},
            "UnusedDays": {
                "Type": "String",
                "Default": "" if request.unused_days is None else str(request.unused_days),
                "Description": "Report whole functions not invoked in this many days (empty: no).",
            },
            "DeleteUnused": {
                "Type": "String",
                "AllowedValues": ["false", "true"],
                "Default": _flag(request.delete_unused),
                "Description": "true (with Apply=true) deletes the unused functions; false reports them.",
            },
            "ReportBucket": {
                "Type": "String",
                "Default": request.report_bucket or "",
                "Description": "Central bucket for the JSON reports (empty: log only).",
            },
            "CodeBucketPrefix": {"Type": "String", "Default": request.code_bucket},
            "CodeKey": {"Type": "String", "Default": CODE_KEY},
        },
        "Resources": {
            "LogGroup": {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    "LogGroupName": f"/aws/lambda/{request.name}",
                    "RetentionInDays": 90,
                },
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ],
                    },
                    "Policies": [
                        {
                            "PolicyName": "prune",
                            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                        }
                    ],
                },
            },
            "Function": {
                "Type": "AWS::Lambda::Function",
                "DependsOn": "LogGroup",
                "Properties": {
                    "FunctionName": request.name,
                    "Description": "Prunes unreferenced Lambda versions (layer-builder)",
                    "Code": {
                        "S3Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
                        "S3Key": {"Ref": "CodeKey"},
                    },
                    "Handler": HANDLER,
                    "Runtime": "python3.12",
                    "Architectures": ["arm64"],
                    "MemorySize": 512,
                    "Timeout": 900,
                    "ReservedConcurrentExecutions": 1,
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Environment": {"Variables": variables},
                },
            },
            "ScheduleRule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "ScheduleExpression": {"Ref": "Schedule"},
                    "State": "ENABLED",
                    "Targets": [{"Arn": {"Fn::GetAtt": ["Function", "Arn"]}, "Id": "cleanup"}],
                },
            },
            "SchedulePermission": {
                "Type": "AWS::Lambda::Permission",
                "Properties": {
                    "Action": "lambda:InvokeFunction",
                    "FunctionName": {"Ref": "Function"},
                    "Principal": "events.amazonaws.com",
                    "SourceArn": {"Fn::GetAtt": ["ScheduleRule", "Arn"]},
                },
            },
        },
    }


def code_bucket_policy(bucket: str, partition: str, organization_id: str) -> dict[str, Any]:
    """Every account of the organization may read the staged zip (CloudFormation creates the
    function with the deploying account's role, which must read the code)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationReadsJobCode",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:{partition}:s3:::{bucket}/*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            }
        ],
    }


def report_bucket_policy(bucket: str, partition: str, organization_id: str) -> dict[str, Any]:
    """Every account of the organization may write reports, each under its own account id."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationWritesOwnReports",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": f"arn:{partition}:s3:::{bucket}/${{aws:PrincipalAccount}}/*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
            }
        ],
    }


def commands(request: StackSetRequest, template_file: str, zip_file: str) -> list[str]:
    """The AWS CLI commands that stage the code, create the stack set and its instances."""
    org = "$ORG_ID"
    lines = ["ORG_ID=$(aws organizations describe-organization --query Organization.Id --output text)"]
    for region in request.regions:
        bucket = request.code_bucket_in(region)
        policy = json.dumps(code_bucket_policy(bucket, request.partition, org), separators=(",", ":"))
        location = (
            "" if region == "us-east-1" else f" --create-bucket-configuration LocationConstraint={region}"
        )
        lines += [
            f"aws s3api create-bucket --bucket {bucket} --region {region}{location}",
            f'aws s3api put-bucket-policy --bucket {bucket} --policy "{_dq(policy)}"',
            f"aws s3 cp {shlex.quote(zip_file)} s3://{bucket}/{CODE_KEY} --region {region}",
        ]
    if request.report_bucket:
        policy = json.dumps(
            report_bucket_policy(request.report_bucket, request.partition, org), separators=(",", ":")
        )
        lines += [
            f"aws s3api create-bucket --bucket {request.report_bucket}",
            f"aws s3api put-bucket-ownership-controls --bucket {request.report_bucket} "
            "--ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'",
            f'aws s3api put-bucket-policy --bucket {request.report_bucket} --policy "{_dq(policy)}"',
        ]
    lines += [
        f"aws cloudformation create-stack-set --stack-set-name {request.name} "
        f"--template-body file://{shlex.quote(template_file)} --permission-model SERVICE_MANAGED "
        "--auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false --capabilities CAPABILITY_IAM",
        f"aws cloudformation create-stack-instances --stack-set-name {request.name} "
        f"--deployment-targets OrganizationalUnitIds={','.join(request.ous)} "
        f"--regions {' '.join(request.regions)}",
    ]
    return lines


def _dq(text: str) -> str:
    """Quote for inside double quotes, leaving $ORG_ID to the shell."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _flag(value: bool) -> str:
    return "true" if value else "false"


def deploy(
    session: Any, config: Any, request: StackSetRequest, template_body: str, zip_bytes: bytes, log: Any
) -> dict[str, str]:
    """Make the calls `commands` prints: stage the code, create the stack set and its instances.
    Every client is made with `config` (botocore's Config: retries, timeouts). A call AWS refuses
    ends it with an AwsError naming the step; what was done before stays (staging again is
    harmless, and an existing stack set is named in AWS's answer)."""
    try:
        return _deploy(session, config, request, template_body, zip_bytes, log)
    except NoCredentialsError as exc:
        raise aws.no_credentials() from exc
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(
            f"could not deploy the stack set {request.name}: {aws.describe(exc)}",
            hint="check the caller's permissions (layer-builder iam-policy stackset) and run again",
        ) from exc


def _deploy(
    session: Any, config: Any, request: StackSetRequest, template_body: str, zip_bytes: bytes, log: Any
) -> dict[str, str]:

    def client(service: str, region: str) -> Any:
        return session.client(service, region_name=region, config=config)

    org_id = str(client("organizations", request.regions[0]).describe_organization()["Organization"]["Id"])
    for region in request.regions:
        s3 = client("s3", region)
        bucket = request.code_bucket_in(region)
        aws.create_bucket_in(s3, bucket, region)
        s3.put_bucket_policy(
            Bucket=bucket, Policy=json.dumps(code_bucket_policy(bucket, request.partition, org_id))
        )
        s3.put_object(Bucket=bucket, Key=CODE_KEY, Body=zip_bytes)
        log(f"staged the job's code in s3://{bucket}/{CODE_KEY}")
    if request.report_bucket:
        s3 = client("s3", request.regions[0])
        aws.create_bucket_in(s3, request.report_bucket, request.regions[0])
        s3.put_bucket_ownership_controls(
            Bucket=request.report_bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        )
        s3.put_bucket_policy(
            Bucket=request.report_bucket,
            Policy=json.dumps(report_bucket_policy(request.report_bucket, request.partition, org_id)),
        )
    cfn = client("cloudformation", request.regions[0])
    created = cfn.create_stack_set(
        StackSetName=request.name,
        TemplateBody=template_body,
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=["CAPABILITY_IAM"],
    )
    operation = cfn.create_stack_instances(
        StackSetName=request.name,
        DeploymentTargets={"OrganizationalUnitIds": list(request.ous)},
        Regions=list(request.regions),
    )
    log(
        f"created stack set {request.name} ({created['StackSetId']}); instances: operation {operation['OperationId']}"
    )
    return {"stack_set_id": str(created["StackSetId"]), "operation_id": str(operation["OperationId"])}


def regions_partition(regions: Sequence[str], partition_of: Any) -> str:
    """The one partition every region is in; a stack set cannot span partitions."""
    partitions = {str(partition_of(region)) for region in regions}
    if len(partitions) != 1:
        raise ConfigError(
            f"the regions span partitions ({', '.join(sorted(partitions))})",
            hint="deploy one stack set per partition",
        )
    return partitions.pop()
