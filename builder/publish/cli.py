"""`layer-builder publish`: parse, call the runner, render. Loaded (with boto3) only when it runs."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import typer

from builder import accounts, aws
from builder.console import console, err_console, handle_errors
from builder.errors import AwsError, FileSystemError
from builder.publish import grants, local, naming, output, render, runner, ssm
from builder.publish.plan import Options
from builder.publish.progress import RegionProgress
from builder.runtimes import limits

app = typer.Typer()


@app.command("publish")
@handle_errors
def publish(
    recipe: str = typer.Argument(..., metavar="RECIPE"),
    runtime: list[str] | None = typer.Option(None, "--runtime", "-r", help="Only this runtime (repeatable)."),
    arch: list[str] | None = typer.Option(None, "--arch", "-a", help="Only this architecture (repeatable)."),
    region: list[str] | None = typer.Option(
        None,
        "--region",
        help="Region to publish to (repeatable; default: AWS_REGION, AWS_DEFAULT_REGION or the profile's).",
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="AWS profile for credentials and the default region (default: AWS_PROFILE)."
    ),
    role_arn: list[str] | None = typer.Option(
        None, "--role-arn", help="Role to assume, one per target account (repeatable)."
    ),
    bucket: str | None = typer.Option(
        None, "--bucket", help="Bucket for zips over the direct-upload limit; {region} and {account} allowed."
    ),
    create_bucket: bool = typer.Option(False, "--create-bucket", help="Create the bucket if it is missing."),
    layer_name: str | None = typer.Option(
        None, "--layer-name", help="Layer name instead of {recipe}-{py}-{arch} (same placeholders)."
    ),
    share_with: list[str] | None = typer.Option(
        None, "--share-with", metavar="ACCOUNT|o-ORGID", help="Let this account or organization use it."
    ),
    public: bool = typer.Option(False, "--public", help="Let every AWS account use it."),
    keep_upload: bool = typer.Option(False, "--keep-upload", help="Keep the zip in S3 after publishing."),
    ssm_parameter: str | None = typer.Option(
        None,
        "--ssm-parameter",
        metavar="TEMPLATE",
        help="Also write each ARN to this SSM parameter in its region, e.g. '/layers/{recipe}/{runtime}-{arch}' "
        "({recipe} {runtime} {arch} {py} {layer}).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read and plan; change nothing."),
    layers_dir: Path = typer.Option(Path("layers"), "--layers-dir", help="Where build wrote the layers."),
    recipes: list[Path] | None = typer.Option(None, "--recipes", help="Recipe folders (default ./recipes)."),
    max_attempts: int = typer.Option(
        aws.DEFAULT_MAX_ATTEMPTS, "--max-attempts", help="Attempts per AWS call."
    ),
    read_timeout: float = typer.Option(
        aws.DEFAULT_READ_TIMEOUT, "--read-timeout", help="Seconds to wait for an AWS answer."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON on stdout."),
) -> None:
    """Publish the built layers of RECIPE to every --region (and --role-arn account).

    Without --region: the region AWS_REGION, AWS_DEFAULT_REGION or the profile names.
    """
    regions = aws.regions_or_default(region or (), aws.base_session(profile), os.environ.get("AWS_REGION"))
    roles: list[str | None] = [aws.validate_role_arn(arn) for arn in role_arn or ()] or [None]
    scope = accounts.Scope.of(
        roles,
        regions,
        options=aws.AwsOptions(max_attempts=max_attempts, read_timeout=read_timeout),
        profile=profile,
    )
    request = runner.Request(
        layers=local.find(
            recipe,
            layers_dir,
            recipes or [Path.cwd() / "recipes"],
            runtime or (),
            arch or (),
            layer_name or naming.DEFAULT_LAYER_NAME,
        ),
        scope=scope,
        options=Options(
            grants=grants.requested(share_with or (), public),
            create_bucket=create_bucket,
            keep_upload=keep_upload,
            direct_upload_zipped_bytes=limits().direct_upload_zipped_bytes,
        ),
        bucket=naming.bucket_template(bucket, len(regions), len(roles)),
        dry_run=dry_run,
    )
    # Checked before anything is published: a name Parameter Store refuses stops the run here.
    parameters = (
        ssm.names(ssm_parameter, [(x.target, x.manifest, x.name) for x in request.layers], regions)
        if ssm_parameter is not None
        else {}
    )
    warnings = runner.warnings(request.layers, dt.date.today())
    render.warnings(warnings)
    with RegionProgress(err_console) as progress:
        runs = runner.publish_all(request, progress.update)
    written: list[Path] = []
    not_recorded: FileSystemError | None = None
    try:
        written = [] if dry_run else output.write_published(request.layers, runs)
    except FileSystemError as exc:  # the ARNs are printed below all the same, then this is raised
        not_recorded = exc
    stored = ssm.write_all(runs, parameters, dry_run=dry_run) if parameters else []
    if as_json:
        report = output.report_json(request.layers, runs, warnings, dry_run)
        console.out(
            json.dumps(
                {
                    **report,
                    "published_json": [str(p) for p in written],
                    "ssm_parameters": [item.to_json() for item in stored],
                },
                indent=2,
            )
        )
    else:
        if dry_run:
            render.plans(runs)
        render.results(request.layers, runs, warnings)
        render.parameters(stored)
    if not_recorded is not None:
        raise not_recorded
    _fail_on_problems(runs, len(request.layers), stored)


def _fail_on_problems(runs: list[runner.Run], layers: int, stored: list[ssm.Written]) -> None:
    """Every failure on stderr, then one error that counts them. An account that could not be opened
    (even the only one) is counted like any failed region; the hint says what its error said to do."""
    problems = runner.failures(runs)
    unstored = [item for item in stored if item.status == "failed"]
    for line in problems:
        err_console.print(f"[red]failed[/red]: {line}")
    for item in unstored:
        err_console.print(
            f"[red]failed[/red]: SSM parameter {item.write.name} in {item.write.account} {item.write.region}: {item.error}"
        )
    if problems:
        failed = sum(
            layers if run.error else sum(o.status == "failed" for o in runner.outcomes(run)) for run in runs
        )
        again = "fix the cause and run again: what was published is found and not published twice"
        raise AwsError(
            f"{failed} of {layers * len(runs)} layer publications failed",
            hint="; ".join([*runner.hints(runs), again]),
        )
    if unstored:
        raise AwsError(
            f"{len(unstored)} of {len(stored)} SSM parameters could not be written (the layers were published)",
            hint="fix the cause (the policy: layer-builder iam-policy publish --ssm-parameter TEMPLATE) and run "
            "again: what was published is not published twice",
        )
