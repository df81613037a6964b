"""`layer-builder publish`: parse, call the runner, render. Loaded (with boto3) only when it runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from builder import aws
from builder.console import console, err_console, handle_errors
from builder.errors import AwsError, FileSystemError
from builder.publish import grants, local, naming, output, render, runner
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
    region: list[str] = typer.Option(..., "--region", help="Region to publish to (repeatable)."),
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
    """Publish the built layers of RECIPE to every --region (and --role-arn account)."""
    regions = aws.validate_regions(region)
    roles: list[str | None] = [aws.validate_role_arn(arn) for arn in role_arn or ()] or [None]
    request = runner.Request(
        layers=local.find(
            recipe,
            layers_dir,
            recipes or [Path.cwd() / "recipes"],
            runtime or (),
            arch or (),
            layer_name or naming.DEFAULT_LAYER_NAME,
        ),
        regions=regions,
        role_arns=roles,
        options=Options(
            grants=grants.requested(share_with or (), public),
            create_bucket=create_bucket,
            keep_upload=keep_upload,
            direct_upload_zipped_bytes=limits().direct_upload_zipped_bytes,
        ),
        bucket=naming.bucket_template(bucket, len(regions), len(roles)),
        dry_run=dry_run,
        aws_options=aws.AwsOptions(max_attempts=max_attempts, read_timeout=read_timeout),
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
    if as_json:
        report = output.report_json(request.layers, runs, warnings, dry_run)
        console.out(json.dumps({**report, "published_json": [str(p) for p in written]}, indent=2))
    else:
        if dry_run:
            render.plans(runs)
        render.results(request.layers, runs, warnings)
    if not_recorded is not None:
        raise not_recorded
    _fail_on_problems(runs, len(request.layers))


def _fail_on_problems(runs: list[runner.RegionRun], layers: int) -> None:
    problems = runner.failures(runs)
    if problems:
        for line in problems:
            err_console.print(f"[red]failed[/red]: {line}")
        failed = sum(layers if run.error else sum(o.status == "failed" for o in run.outcomes) for run in runs)
        raise AwsError(
            f"{failed} of {layers * len(runs)} layer publications failed",
            hint="fix the cause and run again: what was published is found and not published twice",
        )
