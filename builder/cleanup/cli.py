"""The cleanup commands: `storage`, `prune` and `job package` (`iam-policy prune` is in iampolicy.py).

builder/cli.py loads this module (and boto3 with it) only when one of them runs. Each command parses, calls the runner, renders.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import typer

from builder import accounts, aws, interrupts, prompt, units
from builder.cleanup import job, render, report, reports, runner, stackset
from builder.cleanup.apply import DONE
from builder.cleanup.plan import Item
from builder.cleanup.policy import DEFAULT_KEEP, Policy, patterns, split_list
from builder.console import console, err_console, handle_errors
from builder.errors import AwsError, ConfigError, Interrupted

# Calls in flight (a delete already sent) finish and are reported; no new AWS call starts.
_STOPPING = "[yellow]stopping[/yellow]: no new call starts; calls already sent finish and are reported"

job_app = typer.Typer(help="The scheduled storage cleanup job.", no_args_is_help=True)

RegionOpt = typer.Option(
    None,
    "--region",
    help="Region to look at (repeatable; default: AWS_REGION, AWS_DEFAULT_REGION or the profile's; "
    "with --organization, each account's enabled regions).",
)
OrganizationOpt = typer.Option(
    False,
    "--organization",
    help="Every ACTIVE account of the organization (run from the management or a delegated administrator account).",
)
OuOpt = typer.Option(
    None,
    "--ou",
    metavar="OU_ID",
    help="With --organization: only the accounts under this OU or root (repeatable).",
)
RoleNameOpt = typer.Option(
    accounts.DEFAULT_ORGANIZATION_ROLE,
    "--role-name",
    help="With --organization: the role assumed in each account.",
)
ProfileOpt = typer.Option(
    None, "--profile", help="AWS profile for credentials and the default region (default: AWS_PROFILE)."
)
RoleOpt = typer.Option(None, "--role-arn", help="Role to assume, one per account (repeatable).")
KeepOpt = typer.Option(DEFAULT_KEEP, "--keep", help="Newest versions kept per function and per layer.")
OlderOpt = typer.Option(None, "--older-than", metavar="DAYS", help="Only delete versions older than DAYS.")
FunctionsOpt = typer.Option(None, "--functions", metavar="PATTERN", help="Only functions matching this glob.")
LayerNamesOpt = typer.Option(
    None, "--layer-names", metavar="PATTERN", help="Only layers whose name matches this glob."
)
OldLayersOpt = typer.Option(None, "--layers", metavar="PATTERN", hidden=True)  # the older spelling
AttemptsOpt = typer.Option(
    aws.DEFAULT_MAX_ATTEMPTS, "--max-attempts", help="Attempts per AWS call, throttling retries included."
)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
UnusedDaysOpt = typer.Option(
    None,
    "--unused-days",
    metavar="DAYS",
    help="Also list the functions not invoked in DAYS (1-455), with what they hold and what refers to them.",
)
UnusedFunctionsOpt = typer.Option(
    None,
    "--unused-functions",
    metavar="DAYS",
    help="Also delete whole functions not invoked in DAYS (1-455), unless something still refers to them.",
)
TargetOpt = typer.Option(
    None, "--target-usage", metavar="PERCENT", help="Delete oldest first only until usage is under this."
)


app = typer.Typer()
app.add_typer(job_app, name="job")


@app.command("storage")
@handle_errors
def storage(
    region: list[str] | None = RegionOpt,
    profile: str | None = ProfileOpt,
    role_arn: list[str] | None = RoleOpt,
    organization: bool = OrganizationOpt,
    ou: list[str] | None = OuOpt,
    role_name: str = RoleNameOpt,
    keep: int = KeepOpt,
    older_than: int | None = OlderOpt,
    functions: list[str] | None = FunctionsOpt,
    layer_names: list[str] | None = LayerNamesOpt,
    old_layers: list[str] | None = OldLayersOpt,
    target_usage: float | None = TargetOpt,
    top: int = typer.Option(10, "--top", help="How many of the biggest functions and layers to list."),
    unused_days: int | None = UnusedDaysOpt,
    from_reports: str | None = typer.Option(
        None,
        "--from-reports",
        metavar="S3_URL",
        help="Read the scheduled jobs' reports from s3://BUCKET or s3://BUCKET/PREFIX instead of the accounts.",
    ),
    max_attempts: int = AttemptsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Code storage against the quota per region, the biggest holders, and what a prune would free."""
    if from_reports is not None:
        rows = reports.read(_s3(max_attempts, profile), from_reports)
        if as_json:
            _print_json([row.__dict__ for row in rows])
        else:
            render.report_rows(rows)
        return
    policy = _policy(keep, older_than, functions, layer_names, old_layers, target_usage, unused_days)
    where = _Where(region, profile, role_arn, organization, ou, role_name)
    request = _request(where, policy, max_attempts, storage=True, top=top)
    runs = _plan(request, _now(), threading.Event(), where.organization)
    if as_json:
        _print_json(report.report_json(runs, policy, applied=False))
    else:
        render.storage(runs, policy)
    _fail_on_problems(runs)


def _policy(
    keep: int,
    older_than: int | None,
    functions: list[str] | None,
    layer_names: list[str] | None,
    old_layers: list[str] | None,
    target: float | None,
    unused_days: int | None = None,
    *,
    delete_unused: bool = False,
) -> Policy:
    # A bad pattern is reported under the spelling it was given with.
    layers = patterns(layer_names or (), "--layer-names") + patterns(old_layers or (), "--layers")
    return Policy(
        keep=keep,
        older_than_days=older_than,
        functions=patterns(functions or (), "--functions"),
        layers=layers,
        target_usage=target,
        unused_days=unused_days,
        delete_unused=delete_unused,
    )


@app.command("prune")
@handle_errors
def prune(
    region: list[str] | None = RegionOpt,
    profile: str | None = ProfileOpt,
    role_arn: list[str] | None = RoleOpt,
    organization: bool = OrganizationOpt,
    ou: list[str] | None = OuOpt,
    role_name: str = RoleNameOpt,
    keep: int = KeepOpt,
    older_than: int | None = OlderOpt,
    functions: list[str] | None = FunctionsOpt,
    layer_names: list[str] | None = LayerNamesOpt,
    old_layers: list[str] | None = OldLayersOpt,
    target_usage: float | None = TargetOpt,
    unused_functions: int | None = UnusedFunctionsOpt,
    apply: bool = typer.Option(False, "--apply", help="Delete what the plan lists (default: only print it)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before deleting."),
    max_attempts: int = AttemptsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Plan which function and layer versions to delete (and why the rest stay); --apply deletes."""
    if apply and as_json and not yes:
        raise ConfigError(
            "--json --apply needs --yes: a question would come before any plan could be read",
            hint="review the plan with --json alone (or without --json), then run --json --apply --yes",
        )
    policy = _policy(
        keep,
        older_than,
        functions,
        layer_names,
        old_layers,
        target_usage,
        unused_functions,
        delete_unused=True,
    )
    where = _Where(region, profile, role_arn, organization, ou, role_name)
    request = _request(where, policy, max_attempts)
    now, stop = _now(), threading.Event()
    runs = _plan(request, now, stop, where.organization)
    if not as_json:
        render.plans(runs, policy)
    planned = [item for run in runs if run.result for item in run.result.plan.delete]
    applying = apply and bool(planned) and (yes or _confirm(planned))
    if applying:
        with interrupts.stop_on_interrupt(stop, _STOPPING):
            runs = runner.apply_all(runs, request, now, _progress)
        if not as_json:
            render.outcomes(runs)
    if as_json:
        _print_json(report.report_json(runs, policy, applied=applying, interrupted=stop.is_set()))
    _fail_on_problems(runs, interrupted=stop.is_set())


@job_app.command("package")
@handle_errors
def job_package(
    output: Path = typer.Option(
        Path("build/cleanup-job.zip"), "--output", "-o", help="Where to write the zip."
    ),
) -> None:
    """Write the scheduled job's deployment zip (the SAM template's CodeUri)."""
    path, digest = job.package(output)
    console.print(f"wrote {path} ({path.stat().st_size} bytes, sha256 {digest}); handler {job.HANDLER}")


@job_app.command("stackset")
@handle_errors
def job_stackset(
    ou: list[str] = typer.Option(
        ..., "--ou", metavar="OU_ID", help="Deploy to every account under this OU or root (repeatable)."
    ),
    region: list[str] = typer.Option(..., "--region", help="Region to deploy the job to (repeatable)."),
    report_bucket: str | None = typer.Option(
        None, "--report-bucket", help="Central bucket for the jobs' JSON reports."
    ),
    code_bucket: str = typer.Option(
        "layer-builder-cleanup-code",
        "--code-bucket",
        help="Prefix of the per-region buckets the job's zip is staged in.",
    ),
    name: str = typer.Option(stackset.DEFAULT_NAME, "--name", help="Stack set (and function) name."),
    apply_: bool = typer.Option(False, "--apply", help="The jobs delete (default: plan and report only)."),
    unused_days: int | None = UnusedDaysOpt,
    delete_unused: bool = typer.Option(
        False, "--delete-unused", help="With --apply: the jobs also delete unused functions."
    ),
    output: Path = typer.Option(
        Path("build/cleanup-stackset.json"), "--output", "-o", help="Where to write the template."
    ),
    deploy: bool = typer.Option(False, "--deploy", help="Make the calls instead of printing them."),
    profile: str | None = ProfileOpt,
    max_attempts: int = AttemptsOpt,
) -> None:
    """A StackSet template that deploys the scheduled job to every account of the OUs, and the commands."""
    options = aws.AwsOptions(max_attempts=max_attempts)
    session = aws.base_session(profile)
    regions = tuple(aws.validate_regions(split_list(region)))
    partition = stackset.regions_partition(regions, session.get_partition_for_region)
    request = stackset.StackSetRequest(
        ous=tuple(accounts.validate_ou(o) for o in split_list(ou)),
        regions=regions,
        partition=partition,
        code_bucket=code_bucket,
        report_bucket=stackset.report_bucket_name(report_bucket, partition) if report_bucket else None,
        name=name,
        apply=apply_,
        unused_days=Policy(unused_days=unused_days).unused_days,
        delete_unused=delete_unused,
    )
    body = json.dumps(stackset.template(request), indent=2)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(body + "\n", encoding="utf-8")
    zip_path, _ = job.package(output.with_name("cleanup-job.zip"))
    err_console.print(f"wrote {output} and {zip_path}")
    if deploy:
        stackset.deploy(session, aws.client_config(options), request, body, zip_path.read_bytes(), _progress)
        return
    console.out("\n".join(stackset.commands(request, str(output), str(zip_path))), highlight=False)


def _s3(max_attempts: int, profile: str | None) -> object:
    options = aws.AwsOptions(max_attempts=max_attempts)
    return aws.base_session(profile).client("s3", config=aws.client_config(options))


@dataclass(frozen=True)
class _Where:
    """The accounts and regions options as given."""

    regions: list[str] | None
    profile: str | None
    roles: list[str] | None
    organization: bool
    ous: list[str] | None
    role_name: str


def _request(
    where: _Where, policy: Policy, max_attempts: int, *, storage: bool = False, top: int = 10
) -> runner.Request:
    options = aws.AwsOptions(max_attempts=max_attempts)
    regions = split_list(where.regions or ())
    session = aws.base_session(where.profile)
    if not where.organization:
        if where.ous or where.role_name != accounts.DEFAULT_ORGANIZATION_ROLE:
            raise ConfigError("--ou and --role-name go with --organization", hint="add --organization")
        names = aws.regions_or_default(regions, session, os.environ.get("AWS_REGION"))
        role_arns: list[str | None] = [aws.validate_role_arn(arn) for arn in where.roles or ()] or [None]
        scope = accounts.Scope.of(
            role_arns, names, options=options, profile=where.profile, workers=runner.SCOPE_WORKERS
        )
        return runner.Request(scope=scope, policy=policy, storage=storage, top=top)
    if where.roles:
        raise ConfigError(
            "--organization and --role-arn do not go together",
            hint="--organization assumes --role-name in every account; use one or the other",
        )
    source = accounts.Organization(role_name=where.role_name, ous=tuple(split_list(where.ous or ())))
    # Organizations and STS answer in any region: without one given, the configured one or us-east-1.
    home = (
        aws.validate_regions(regions)[0]
        if regions
        else os.environ.get("AWS_REGION") or session.region_name or "us-east-1"
    )
    region_source: accounts.RegionSource = (
        accounts.Regions(tuple(aws.validate_regions(regions))) if regions else accounts.EnabledRegions(home)
    )
    scope = accounts.Scope(
        accounts=(source,),
        regions=region_source,
        options=options,
        profile=where.profile,
        workers=runner.SCOPE_WORKERS,
    )
    return runner.Request(scope=scope, policy=policy, storage=storage, top=top)


def _plan(
    request: runner.Request, now: dt.datetime, stop: threading.Event, organization: bool = False
) -> list[runner.Run]:
    # Over an organization, one line per account rather than one per region.
    log, progress = (_quiet, _AccountProgress()) if organization else (_progress, accounts.quiet)
    with interrupts.stop_on_interrupt(stop, _STOPPING):
        runs = runner.plan_all(request, now, log, stop, progress)
    if stop.is_set():
        raise Interrupted(
            "interrupted while reading the account: nothing was deleted", hint="run the command again"
        )
    return runs


def _confirm(planned: list[Item]) -> bool:
    size = units.size(sum(item.size or 0 for item in planned))
    try:
        answer = prompt.confirm(f"Delete {runner.count_items(planned)} ({size})?")
    except KeyboardInterrupt:  # Ctrl-C ends the question at once (see builder/prompt.py)
        answer = None
    if answer:
        return True
    if answer is None:  # Ctrl-C or end of input: end the question's line
        err_console.print()
    raise ConfigError(
        "not confirmed: nothing was deleted", hint="answer y, or pass --yes to skip the question"
    )


def _fail_on_problems(runs: list[runner.Run], *, interrupted: bool = False) -> None:
    problems = runner.failures(runs)
    for line in problems:
        err_console.print(f"[yellow]problem[/yellow]: {line}")
    if interrupted:
        regions = [run.result for run in runs if run.result is not None]
        outcomes = [o for region in regions for o in region.outcomes or ()]
        done = sum(1 for o in outcomes if o.status in DONE)
        not_deleted = len(outcomes) - done + sum(len(region.dropped) for region in regions)
        raise Interrupted(
            f"interrupted: {units.count(done, 'version')} deleted, {not_deleted} not deleted (listed above)",
            hint="run the same command again: it reads the account afresh and continues; nothing is "
            "deleted twice and nothing protected meanwhile is deleted",
        )
    if problems:
        raise AwsError(
            f"{len(problems)} problem{'' if len(problems) == 1 else 's'}: what could not be read or "
            "deleted was kept",
            hint="; ".join(runner.hints(runs)) or runner.GENERAL_HINT,
        )


def _print_json(data: object) -> None:
    # console.out: no markup, no wrapping, no highlighting; a plan can be megabytes of JSON.
    console.out(json.dumps(data, indent=2), highlight=False)


def _progress(message: str) -> None:
    err_console.print(f"[dim]{message}[/dim]")


def _quiet(message: str) -> None:
    pass


class _AccountProgress:
    """One line per account: when all its regions are read, or when it could not be opened."""

    def __call__(self, label: str, state: str, detail: str | None) -> None:
        if state == accounts.ACCOUNT:
            err_console.print(f"[dim]{label}: read ({detail})[/dim]")
        elif state == accounts.SKIPPED:
            err_console.print(f"[yellow]{label}: skipped[/yellow]: {detail}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
