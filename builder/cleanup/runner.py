"""Run the cleanup over accounts and regions: open each account, read, plan, and later apply.

Shared by the CLI and the scheduled job. Planning every region comes first and is the same with or
without applying; the caller prints the plans, decides (asks, or reads its configuration), then
calls `apply_all`. A region or account that fails is recorded and the rest go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from builder import aws
from builder.cleanup import inventory, plan, quota
from builder.cleanup.apply import Outcome, apply_plan
from builder.cleanup.model import LayerVersion, Listing
from builder.cleanup.plan import FunctionPlan, RegionPlan
from builder.cleanup.policy import Policy
from builder.errors import LayerBuilderError

Log = Callable[[str], None]


@dataclass(kw_only=True)
class RegionRun:
    """One account region: its plan, or why there is none; after apply, the outcomes."""

    account: str
    region: str
    plan: RegionPlan | None = None
    error: str | None = None
    outcomes: tuple[Outcome, ...] | None = None
    holders: tuple[list[quota.Holder], list[quota.Holder]] | None = None
    client: Any = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class Request:
    regions: Sequence[str]
    role_arns: Sequence[str | None]  # None: the default credentials
    policy: Policy
    options: aws.AwsOptions = field(default_factory=aws.AwsOptions)
    workers: int = inventory.DEFAULT_WORKERS
    storage: bool = False  # also read every layer size and rank the biggest holders
    top: int = 10


def plan_all(request: Request, now: dt.datetime, log: Log) -> list[RegionRun]:
    regions = aws.validate_regions(request.regions)
    runs: list[RegionRun] = []
    for role_arn in request.role_arns:
        try:
            account = aws.open_account(role_arn, regions[0], request.options)
        except LayerBuilderError as exc:
            label = role_arn or "default credentials"
            runs += [RegionRun(account=label, region=region, error=exc.message) for region in regions]
            continue
        for region in regions:
            run = RegionRun(account=account.account_id, region=region)
            runs.append(run)
            log(f"{account.account_id} {region}: reading")
            try:
                run.client = aws.client(account, "lambda", region, request.options)
                planned = plan_region(run.client, account.account_id, region, request, now, log)
                run.plan, run.holders = planned.plan, planned.holders
            except LayerBuilderError as exc:
                run.error = exc.message
    return runs


@dataclass(frozen=True, kw_only=True)
class Planned:
    plan: RegionPlan
    holders: tuple[list[quota.Holder], list[quota.Holder]] | None
    listing: Listing  # what was read, for reports and the benchmark's call accounting
    functions: FunctionPlan


def plan_region(lam: Any, account: str, region: str, request: Request, now: dt.datetime, log: Log) -> Planned:
    """Read what the plan needs, in three rounds, and plan. Raises AwsError if nothing can be
    planned (the functions could not be listed)."""
    policy, workers = request.policy, request.workers
    listing = inventory.read_listing(lam, account, region, workers)
    names = plan.functions_to_read(listing, policy, now)
    log(f"{account} {region}: {_count(listing)}; reading references of {len(names)} functions")
    refs, ref_errors = inventory.read_refs(lam, listing, names, workers)
    functions = plan.plan_functions(listing, refs, ref_errors, policy, now)
    candidates = plan.layers_to_read(listing, functions, policy, now)
    seen = listing.layer_sizes_seen()
    # Every size is needed when usage must be summed from the listings or for the storage report.
    sized = _all_layer_versions(listing) if request.storage or listing.settings is None else candidates
    details = inventory.read_layer_details(
        lam, [lv for lv in sized if lv.arn not in seen], candidates, workers
    )
    sizes = {**seen, **details.sizes}
    usage = quota.usage(listing, sizes)
    region_plan = plan.plan_region(listing, functions, details, policy, now, usage)
    holders = quota.holders(listing, sizes, request.top) if request.storage else None
    return Planned(plan=region_plan, holders=holders, listing=listing, functions=functions)


def apply_all(runs: Sequence[RegionRun], workers: int, log: Log) -> list[RegionRun]:
    applied = []
    for run in runs:
        if run.plan is None or not run.plan.delete:
            applied.append(replace(run, outcomes=() if run.plan is not None else None))
            continue
        log(f"{run.account} {run.region}: deleting {len(run.plan.delete)} versions")
        outcomes = apply_plan(run.client, run.plan, workers)
        applied.append(replace(run, outcomes=outcomes))
    return applied


def failures(runs: Sequence[RegionRun]) -> list[str]:
    """Everything that went wrong, one line each: regions not planned, reads that failed (their
    versions were kept) and deletes that failed. Empty when the run was complete."""
    lines: list[str] = []
    for run in runs:
        where = f"{run.account} {run.region}"
        if run.error:
            lines.append(f"{where}: {run.error}")
        if run.plan is not None:
            lines += [f"{where}: {p.kind} {p.name}: {p.error} (kept)" for p in run.plan.problems]
        for outcome in run.outcomes or ():
            if outcome.status in ("failed", "skipped"):
                lines.append(
                    f"{where}: {outcome.item.kind} {outcome.item.label}: {outcome.status}: {outcome.detail}"
                )
    return lines


def _all_layer_versions(listing: Listing) -> list[LayerVersion]:
    return [lv for versions in listing.layers.values() for lv in versions]


def _count(listing: Listing) -> str:
    functions = sum(len(v) for v in listing.functions.values())
    layers = sum(len(v) for v in listing.layers.values())
    return f"{len(listing.functions)} functions ({functions} versions), {len(listing.layers)} layers ({layers} versions)"
