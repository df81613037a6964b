"""The cleanup commands: `storage`, `prune` and `job package` (`iam-policy prune` is in iampolicy.py).

builder/cli.py loads this module (and boto3 with it) only when one of them runs. Each command parses, calls the runner, renders.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import typer

from builder import accounts, aws, units
from builder.cleanup import job, render, report, runner
from builder.cleanup.apply import DONE
from builder.cleanup.plan import Item
from builder.cleanup.policy import DEFAULT_KEEP, Policy, patterns, split_list
from builder.console import console, err_console, handle_errors
from builder.errors import AwsError, ConfigError, Interrupted

job_app = typer.Typer(help="The scheduled storage cleanup job.", no_args_is_help=True)

RegionOpt = typer.Option(
    None,
    "--region",
    help="Region to look at (repeatable; default: AWS_REGION, AWS_DEFAULT_REGION or the profile's).",
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
    keep: int = KeepOpt,
    older_than: int | None = OlderOpt,
    functions: list[str] | None = FunctionsOpt,
    layer_names: list[str] | None = LayerNamesOpt,
    old_layers: list[str] | None = OldLayersOpt,
    target_usage: float | None = TargetOpt,
    top: int = typer.Option(10, "--top", help="How many of the biggest functions and layers to list."),
    max_attempts: int = AttemptsOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Code storage against the quota per region, the biggest holders, and what a prune would free."""
    policy = _policy(keep, older_than, functions, layer_names, old_layers, target_usage)
    request = _request(region, profile, role_arn, policy, max_attempts, storage=True, top=top)
    runs = _plan(request, _now(), threading.Event())
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
) -> Policy:
    # A bad pattern is reported under the spelling it was given with.
    layers = patterns(layer_names or (), "--layer-names") + patterns(old_layers or (), "--layers")
    return Policy(
        keep=keep,
        older_than_days=older_than,
        functions=patterns(functions or (), "--functions"),
        layers=layers,
        target_usage=target,
    )


@app.command("prune")
@handle_errors
def prune(
    region: list[str] | None = RegionOpt,
    profile: str | None = ProfileOpt,
    role_arn: list[str] | None = RoleOpt,
    keep: int = KeepOpt,
    older_than: int | None = OlderOpt,
    functions: list[str] | None = FunctionsOpt,
    layer_names: list[str] | None = LayerNamesOpt,
    old_layers: list[str] | None = OldLayersOpt,
    target_usage: float | None = TargetOpt,
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
    policy = _policy(keep, older_than, functions, layer_names, old_layers, target_usage)
    request = _request(region, profile, role_arn, policy, max_attempts)
    now, stop = _now(), threading.Event()
    runs = _plan(request, now, stop)
    if not as_json:
        render.plans(runs, policy)
    planned = [item for run in runs if run.result for item in run.result.plan.delete]
    applying = apply and bool(planned) and (yes or _confirm(planned))
    if applying:
        with _stop_on_interrupt(stop):
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


def _request(
    regions: list[str] | None,
    profile: str | None,
    roles: list[str] | None,
    policy: Policy,
    max_attempts: int,
    *,
    storage: bool = False,
    top: int = 10,
) -> runner.Request:
    role_arns: list[str | None] = [aws.validate_role_arn(arn) for arn in roles or ()] or [None]
    names = aws.regions_or_default(
        split_list(regions or ()), aws.base_session(profile), os.environ.get("AWS_REGION")
    )
    scope = accounts.Scope.of(
        role_arns, names, options=aws.AwsOptions(max_attempts=max_attempts), profile=profile
    )
    return runner.Request(scope=scope, policy=policy, storage=storage, top=top)


def _plan(request: runner.Request, now: dt.datetime, stop: threading.Event) -> list[runner.Run]:
    with _stop_on_interrupt(stop):
        runs = runner.plan_all(request, now, _progress, stop)
    if stop.is_set():
        raise Interrupted(
            "interrupted while reading the account: nothing was deleted", hint="run the command again"
        )
    return runs


@contextmanager
def _stop_on_interrupt(stop: threading.Event) -> Iterator[None]:
    """While inside, Ctrl-C sets `stop` instead of raising KeyboardInterrupt somewhere in the
    middle: no new AWS call starts, calls in flight (a delete already sent) finish and are
    reported. Not used around the prompt, where Ctrl-C must end the question at once."""

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            err_console.print(
                "[yellow]stopping[/yellow]: no new call starts; calls already sent finish and are reported"
            )
        stop.set()

    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _confirm(planned: list[Item]) -> bool:
    size = units.size(sum(item.size or 0 for item in planned))
    try:
        if typer.confirm(f"Delete {units.count(len(planned), 'version')} ({size})?", err=True):
            return True
    except typer.Abort:  # end of input or Ctrl-C: nobody to answer (typer's own, not click's)
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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
