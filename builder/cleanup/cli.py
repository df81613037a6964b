"""The cleanup commands: `storage`, `prune` and `job package` (`iam-policy prune` is in builder/iam_cli.py).

builder/cli.py loads this module (and boto3 with it) only when one of them runs. Each command parses, calls the runner, renders.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click
import typer

from builder import aws
from builder.cleanup import job, render, report, runner
from builder.cleanup.plan import Item
from builder.cleanup.policy import DEFAULT_KEEP, Policy, split_list
from builder.console import console, err_console, handle_errors
from builder.errors import AwsError, ConfigError

job_app = typer.Typer(help="The scheduled storage cleanup job.", no_args_is_help=True)

RegionOpt = typer.Option(..., "--region", help="Region to look at (repeatable).")
RoleOpt = typer.Option(None, "--role-arn", help="Role to assume, one per account (repeatable).")
KeepOpt = typer.Option(DEFAULT_KEEP, "--keep", help="Newest versions kept per function and per layer.")
OlderOpt = typer.Option(None, "--older-than", metavar="DAYS", help="Only delete versions older than DAYS.")
FunctionsOpt = typer.Option(None, "--functions", metavar="PATTERN", help="Only functions matching this glob.")
LayersOpt = typer.Option(None, "--layers", metavar="PATTERN", help="Only layers matching this glob.")
AttemptsOpt = typer.Option(
    aws.DEFAULT_MAX_ATTEMPTS, "--max-attempts", help="Attempts per AWS call, throttling retries included."
)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")
TargetOpt = typer.Option(
    None, "--target-usage", metavar="PERCENT", help="Delete oldest first only until usage is under this."
)


app = typer.Typer()
app.add_typer(job_app, name="job")


@app.command("storage")
@handle_errors
def storage(
    region: list[str] = RegionOpt,
    role_arn: list[str] | None = RoleOpt,
    keep: int = KeepOpt,
    older_than: int | None = OlderOpt,
    functions: list[str] | None = FunctionsOpt,
    layers: list[str] | None = LayersOpt,
    target_usage: float | None = TargetOpt,
    top: int = typer.Option(10, "--top", help="How many of the biggest functions and layers to list."),
    max_attempts: int = AttemptsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Code storage against the quota per region, the biggest holders, and what a prune would free."""
    policy = _policy(keep, older_than, functions, layers, target_usage)
    request = _request(region, role_arn, policy, max_attempts, storage=True, top=top)
    runs = runner.plan_all(request, _now(), _progress)
    if as_json:
        _print_json(report.report_json(runs, policy, applied=False))
    else:
        render.storage(runs, policy)
    _fail_on_problems(runs)


def _policy(
    keep: int,
    older_than: int | None,
    functions: list[str] | None,
    layers: list[str] | None,
    target: float | None,
) -> Policy:
    return Policy(
        keep=keep,
        older_than_days=older_than,
        functions=split_list(functions or ()),
        layers=split_list(layers or ()),
        target_usage=target,
    )


@app.command("prune")
@handle_errors
def prune(
    region: list[str] = RegionOpt,
    role_arn: list[str] | None = RoleOpt,
    keep: int = KeepOpt,
    older_than: int | None = OlderOpt,
    functions: list[str] | None = FunctionsOpt,
    layers: list[str] | None = LayersOpt,
    target_usage: float | None = TargetOpt,
    apply: bool = typer.Option(False, "--apply", help="Delete what the plan lists (default: only print it)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before deleting."),
    max_attempts: int = AttemptsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Plan which function and layer versions to delete (and why the rest stay); --apply deletes."""
    policy = _policy(keep, older_than, functions, layers, target_usage)
    request = _request(region, role_arn, policy, max_attempts)
    runs = runner.plan_all(request, _now(), _progress)
    if not as_json:
        render.plans(runs, policy)
    planned = [item for run in runs if run.plan for item in run.plan.delete]
    if apply and planned and (yes or _confirm(planned)):
        runs = runner.apply_all(runs, request.workers, _progress)
        if not as_json:
            render.outcomes(runs)
    if as_json:
        _print_json(report.report_json(runs, policy, applied=apply and bool(planned)))
    _fail_on_problems(runs)


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


def _request(
    regions: list[str],
    roles: list[str] | None,
    policy: Policy,
    max_attempts: int,
    *,
    storage: bool = False,
    top: int = 10,
) -> runner.Request:
    role_arns: list[str | None] = [aws.validate_role_arn(arn) for arn in roles or ()] or [None]
    return runner.Request(
        regions=aws.validate_regions(split_list(regions)),
        role_arns=role_arns,
        policy=policy,
        options=aws.AwsOptions(max_attempts=max_attempts),
        storage=storage,
        top=top,
    )


def _confirm(planned: list[Item]) -> bool:
    size = report.human_bytes(sum(item.size or 0 for item in planned))
    try:
        if typer.confirm(f"Delete {len(planned)} versions ({size})?", err=True):
            return True
    except click.exceptions.Abort:  # end of input: nobody to answer
        pass
    raise ConfigError(
        "not confirmed: nothing was deleted", hint="answer y, or pass --yes to skip the question"
    )


def _fail_on_problems(runs: list[runner.RegionRun]) -> None:
    problems = runner.failures(runs)
    if problems:
        for line in problems:
            err_console.print(f"[yellow]problem[/yellow]: {line}")
        raise AwsError(
            f"{len(problems)} problem{'' if len(problems) == 1 else 's'}: what could not be read or "
            "deleted was kept",
            hint="fix the access or wait out the throttling, then run again; completed deletes are not repeated",
        )


def _print_json(data: object) -> None:
    # console.out: no markup, no wrapping, no highlighting; a plan can be megabytes of JSON.
    console.out(json.dumps(data, indent=2), highlight=False)


def _progress(message: str) -> None:
    err_console.print(f"[dim]{message}[/dim]")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
