"""Publish over accounts and regions: open each account, read and plan every region at once, stop
if the input is unusable anywhere, then apply every region at once.

One thread per account region, one Lambda and one S3 client each (boto3 clients are thread-safe;
one client per account and region means one adaptive rate limiter for its calls, see builder.aws).
A region that fails is recorded and the others go on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from builder import aws
from builder.errors import ConfigError, LayerBuilderError
from builder.publish import local, naming, state
from builder.publish.apply import Outcome, Publisher, apply_layer
from builder.publish.local import LocalLayer
from builder.publish.plan import LayerPlan, Options, needs_bucket, needs_publish, plan_layer

# Reports a region's progress: (account region label, phase, fraction done or None).
Progress = Callable[[str, str, float | None], None]
DEFAULT_WORKERS = 16
_CLIENTS = threading.Lock()


@dataclass(frozen=True, kw_only=True)
class Request:
    layers: Sequence[LocalLayer]
    regions: Sequence[str]
    role_arns: Sequence[str | None]  # None: the default credentials
    options: Options
    bucket: str = naming.DEFAULT_BUCKET  # template with {account} and {region}
    dry_run: bool = False
    aws_options: aws.AwsOptions = field(default_factory=aws.AwsOptions)
    workers: int = DEFAULT_WORKERS
    # The credentials chain to start from; None: a new default session. A long-lived caller passes
    # one session so botocore loads each service's model once, not once per publish.
    base_session: Any = None


@dataclass(kw_only=True)
class RegionRun:
    """One account region: its plans, or why there are none; after apply, the outcomes."""

    account: str
    region: str
    plans: list[LayerPlan] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None
    session: aws.Account | None = field(default=None, repr=False)  # None: the account did not open
    lam: Any = field(default=None, repr=False)
    s3: Any = field(default=None, repr=False)  # made only when a zip goes through S3
    publisher: Publisher | None = field(default=None, repr=False)  # PublishLayerVersion, no retries

    @property
    def label(self) -> str:
        return f"{self.account} {self.region}"

    @property
    def failed(self) -> bool:
        return self.error is not None or any(o.status == "failed" for o in self.outcomes)


def warnings(layers: Sequence[LocalLayer], today: dt.date) -> dict[str, list[str]]:
    return {layer.target: local.warnings(layer, today) for layer in layers}


def publish_all(request: Request, progress: Progress) -> list[RegionRun]:
    runs = open_regions(request)
    with ThreadPoolExecutor(max_workers=max(1, min(request.workers, len(runs)))) as pool:
        list(pool.map(lambda run: _plan(run, request, progress), runs))
        blocked = [
            f"{run.label}: {plan.layer.name}: {plan.blocked}"
            for run in runs
            for plan in run.plans
            if plan.blocked
        ]
        if blocked:
            raise ConfigError(
                "nothing was published: " + "; ".join(blocked),
                hint="fix the bucket (--bucket NAME-{region}, --create-bucket) and run again",
            )
        if not request.dry_run:
            list(pool.map(lambda run: _apply(run, progress), runs))
    return runs


def open_regions(request: Request) -> list[RegionRun]:
    """One run per account and region; an account that cannot be opened gives
    failed runs, unless none can (then there is nothing to do and its error is raised)."""
    regions = aws.validate_regions(request.regions)
    runs: list[RegionRun] = []
    errors: list[LayerBuilderError] = []
    for role_arn in request.role_arns:
        try:
            account = aws.open_account(role_arn, regions[0], request.aws_options, request.base_session)
        except LayerBuilderError as exc:
            errors.append(exc)
            label = role_arn or "default credentials"
            runs += [RegionRun(account=label, region=region, error=exc.message) for region in regions]
            continue
        for region in regions:
            runs.append(RegionRun(account=account.account_id, region=region, session=account))
    if len(errors) == len(request.role_arns):
        raise errors[0]
    return runs


def _plan(run: RegionRun, request: Request, progress: Progress) -> None:
    if run.error is not None:
        progress(run.label, f"[red]failed[/red]: {run.error}", None)
        return
    progress(run.label, "reading", None)
    try:
        run.lam = _client(run, "lambda", request)
        states = {layer.name: state.read_layer(run.lam, layer.name) for layer in request.layers}
        bucket = None
        if needs_bucket(request.layers, states, request.options):
            name = naming.bucket_name(request.bucket, account=run.account, region=run.region)
            run.s3 = _client(run, "s3", request)
            bucket = state.read_bucket(run.s3, name, run.account)
        if not request.dry_run and any(needs_publish(x, states[x.name]) for x in request.layers):
            run.publisher = _publisher(run, request)
    except (ClientError, BotoCoreError) as exc:
        run.error = f"reading: {aws.describe(exc)}"
        progress(run.label, f"[red]failed[/red]: {run.error}", None)
        return
    run.plans = [
        plan_layer(layer, states[layer.name], bucket, request.options, run.region) for layer in request.layers
    ]
    if request.dry_run:
        run.outcomes = [Outcome(plan=plan, status="planned") for plan in run.plans]
    progress(run.label, _planned(run.plans), None)


def _client(run: RegionRun, service: str, request: Request) -> Any:
    """A client made in the region's own thread, so that making one (CPU) overlaps with the other
    regions' calls (network); one at a time, because a boto3 session must not make clients in two
    threads at once (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/session.html)."""
    if run.session is None:
        raise ValueError(f"{run.label}: no account to make a client for")
    with _CLIENTS:
        return aws.client(run.session, service, run.region, request.aws_options)


def _publisher(run: RegionRun, request: Request) -> Publisher:
    """A Lambda client that makes one attempt per call, for PublishLayerVersion only: a retry of a
    call whose answer was lost would publish a second version (once.py retries it safely)."""
    single = dataclasses.replace(request.aws_options, max_attempts=1)
    with _CLIENTS:
        client = aws.client(run.session, "lambda", run.region, single) if run.session else None
    return Publisher(client=client, attempts=request.aws_options.max_attempts)


def _apply(run: RegionRun, progress: Progress) -> None:
    if run.error is not None:
        return
    for plan in run.plans:
        outcome = apply_layer(
            run.lam,
            run.s3,
            run.account,
            run.region,
            plan,
            lambda text, fraction: progress(run.label, text, fraction),
            run.publisher,
        )
        run.outcomes.append(outcome)
    failed = [o for o in run.outcomes if o.status == "failed"]
    if failed:
        progress(run.label, f"[red]failed[/red]: {failed[0].plan.layer.name}: {failed[0].error}", None)
    else:
        done = [f"{o.plan.layer.name}:{o.version} {o.status}" for o in run.outcomes]
        progress(run.label, "[green]done[/green]: " + ", ".join(done), 1.0)


def _planned(plans: Sequence[LayerPlan]) -> str:
    publish = sum(1 for p in plans if p.publish)
    return f"planned: {publish} to publish, {len(plans) - publish} unchanged"


def failures(runs: Sequence[RegionRun]) -> list[str]:
    lines = []
    for run in runs:
        if run.error is not None:
            lines.append(f"{run.label}: {run.error}")
        lines += [
            f"{run.label}: {o.plan.layer.name}: {o.error}" for o in run.outcomes if o.status == "failed"
        ]
    return lines
