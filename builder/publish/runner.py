"""Publish over accounts and regions: read and plan every account region at once, stop if the
input is unusable anywhere, then apply every region at once.

builder.accounts opens the accounts and runs each step per account region concurrently; one
Lambda and one S3 client per account region (boto3 clients are thread-safe; one client per account
and region means one adaptive rate limiter for its calls, see builder.aws). A region or account
that fails is recorded and the others go on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from builder import accounts, aws
from builder.errors import AwsError, ConfigError
from builder.publish import local, naming, state
from builder.publish.apply import Outcome, Publisher, apply_layer
from builder.publish.local import LocalLayer
from builder.publish.plan import LayerPlan, Options, needs_bucket, needs_publish, plan_layer

# Reports a region's progress: (account region label, phase, fraction done or None).
Progress = Callable[[str, str, float | None], None]


@dataclass(frozen=True, kw_only=True)
class Request:
    layers: Sequence[LocalLayer]
    scope: accounts.Scope
    options: Options
    bucket: str = naming.DEFAULT_BUCKET  # template with {account} and {region}
    dry_run: bool = False


@dataclass(kw_only=True)
class RegionPublish:
    """What publish did in one account region: its plans and, after apply, the outcomes."""

    plans: list[LayerPlan] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    lam: Any = field(default=None, repr=False)
    s3: Any = field(default=None, repr=False)  # made only when a zip goes through S3
    publisher: Publisher | None = field(default=None, repr=False)  # PublishLayerVersion, no retries


Run = accounts.Outcome[RegionPublish]


def warnings(layers: Sequence[LocalLayer], today: dt.date) -> dict[str, list[str]]:
    return {layer.target: local.warnings(layer, today) for layer in layers}


def publish_all(request: Request, progress: Progress) -> list[Run]:
    report = _report(progress)
    runs = accounts.run(request.scope, lambda target: _plan(target, request, progress), progress=report)
    blocked = [
        f"{run.label}: {plan.layer.name}: {plan.blocked}"
        for run in runs
        for plan in (run.result.plans if run.result else ())
        if plan.blocked
    ]
    if blocked:
        raise ConfigError(
            "nothing was published: " + "; ".join(blocked),
            hint="fix the bucket (--bucket NAME-{region}, --create-bucket) and run again",
        )
    if request.dry_run:
        return runs
    return accounts.then(
        runs, lambda target, region: _apply(target, region, progress), workers=request.scope.workers
    )


def _report(progress: Progress) -> accounts.Progress:
    """The runner's notices as publish shows them: each account region that fails, in red."""

    def report(label: str, state: str, detail: str | None) -> None:
        if state == accounts.FAILED:
            progress(label, f"[red]failed[/red]: {detail}", None)

    return report


def _plan(target: accounts.AccountRegion, request: Request, progress: Progress) -> RegionPublish:
    progress(target.label, "reading", None)
    region = RegionPublish()
    try:
        region.lam = target.client("lambda")
        states = {layer.name: state.read_layer(region.lam, layer.name) for layer in request.layers}
        bucket = None
        if needs_bucket(request.layers, states, request.options):
            name = naming.bucket_name(request.bucket, account=target.account_id, region=target.region)
            region.s3 = target.client("s3")
            bucket = state.read_bucket(region.s3, name, target.account_id)
        if not request.dry_run and any(needs_publish(x, states[x.name]) for x in request.layers):
            region.publisher = _publisher(target)
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"reading: {aws.describe(exc)}") from exc
    region.plans = [
        plan_layer(layer, states[layer.name], bucket, request.options, target.region)
        for layer in request.layers
    ]
    if request.dry_run:
        region.outcomes = [Outcome(plan=plan, status="planned") for plan in region.plans]
    progress(target.label, _planned(region.plans), None)
    return region


def _publisher(target: accounts.AccountRegion) -> Publisher:
    """A Lambda client that makes one attempt per call, for PublishLayerVersion only: a retry of a
    call whose answer was lost would publish a second version (once.py retries it safely)."""
    single = dataclasses.replace(target.options, max_attempts=1)
    client = aws.client(target.account, "lambda", target.region, single)
    return Publisher(client=client, attempts=target.options.max_attempts)


def _apply(target: accounts.AccountRegion, region: RegionPublish, progress: Progress) -> RegionPublish:
    for plan in region.plans:
        outcome = apply_layer(
            region.lam,
            region.s3,
            target.account_id,
            target.region,
            plan,
            lambda text, fraction: progress(target.label, text, fraction),
            region.publisher,
        )
        region.outcomes.append(outcome)
    failed = [o for o in region.outcomes if o.status == "failed"]
    if failed:
        progress(target.label, f"[red]failed[/red]: {failed[0].plan.layer.name}: {failed[0].error}", None)
    else:
        done = [f"{o.plan.layer.name}:{o.version} {o.status}" for o in region.outcomes]
        progress(target.label, "[green]done[/green]: " + ", ".join(done), 1.0)
    return region


def _planned(plans: Sequence[LayerPlan]) -> str:
    publish = sum(1 for p in plans if p.publish)
    return f"planned: {publish} to publish, {len(plans) - publish} unchanged"


def plans(run: Run) -> list[LayerPlan]:
    return run.result.plans if run.result else []


def outcomes(run: Run) -> list[Outcome]:
    return run.result.outcomes if run.result else []


def failures(runs: Sequence[Run]) -> list[str]:
    lines = []
    for run in runs:
        if run.error is not None:
            lines.append(f"{run.label}: {run.error.message}")
        lines += [
            f"{run.label}: {o.plan.layer.name}: {o.error}" for o in outcomes(run) if o.status == "failed"
        ]
    return lines


def hints(runs: Sequence[Run]) -> list[str]:
    """What the account regions' own errors say to do (an account that could not be opened)."""
    found: list[str] = []
    for run in runs:
        hint = run.error.hint if run.error is not None else None
        if hint and hint not in found:
            found.append(hint)
    return found
