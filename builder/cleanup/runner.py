"""Run the cleanup over accounts and regions: plan every account region, and later apply.

Shared by the CLI and the scheduled job. builder.accounts opens the accounts and plans every
account region concurrently; planning is the same with or without applying. The caller prints the
plans, decides (asks, or reads its configuration), then calls `apply_all`, which reads each region
again just before deleting and deletes only what is still deletable and unchanged. A region or
account that fails is recorded and the rest go on.

Every region's client carries a brake (see brake.py): when the caller's stop event is set
(Ctrl-C) or the region's throttling outlasts the retries, no new call starts there.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from builder import accounts, units
from builder.cleanup import inventory, metrics, plan, quota, unused
from builder.cleanup.apply import FAILED, NOT_STARTED, SKIPPED, Outcome, apply_plan
from builder.cleanup.brake import DEFAULT_THROTTLE_LIMIT, INTERRUPTED, Brake
from builder.cleanup.model import LayerVersion, Listing
from builder.cleanup.plan import FunctionPlan, Item, Kept, Problem, RegionPlan
from builder.cleanup.policy import Policy
from builder.errors import ConfigError, LayerBuilderError

Log = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class RegionPrune:
    """One account region's plan; after apply, its outcomes (the runner's Outcome holds the account,
    the region, and why there is no plan)."""

    plan: RegionPlan
    holders: tuple[list[quota.Holder], list[quota.Holder]] | None = None
    outcomes: tuple[Outcome, ...] | None = None
    rechecked: RegionPlan | None = None  # the plan as read again just before deleting
    dropped: tuple[Kept, ...] = ()  # planned deletes that the re-check found protected or changed
    error: str | None = None  # the re-check before deleting failed: nothing was deleted here
    hint: str | None = None  # what to do about `error`
    client: Any = field(default=None, repr=False)
    cw: Any = field(default=None, repr=False)  # CloudWatch, when the policy looks for unused functions
    brake: Brake | None = field(default=None, repr=False)

    @property
    def halted(self) -> str | None:
        """Why calls stopped in this region (Ctrl-C or throttling), or None."""
        return self.brake.reason if self.brake is not None else None


Run = accounts.Outcome[RegionPrune]

# Account regions planned, then applied, at once: twice the runner's default. A region's plan is a
# chain of a few calls that mostly wait on AWS, and each account region has rate limits of its own;
# over an organization, 32 at once instead of 16 took bench/prune_organization.py from 3.8x to
# 5.4x faster than one account after another.
SCOPE_WORKERS = 32


@dataclass(frozen=True, kw_only=True)
class Request:
    scope: accounts.Scope
    policy: Policy
    workers: int = inventory.DEFAULT_WORKERS  # threads per region for reads and deletes
    storage: bool = False  # also read every layer size and rank the biggest holders
    top: int = 10
    throttle_limit: int = DEFAULT_THROTTLE_LIMIT  # calls in a row throttled for good before a region stops

    def __post_init__(self) -> None:
        if self.top < 0:
            raise ConfigError(f"--top must be 0 or more, got {self.top}", hint="--top 10 lists ten of each")


def plan_all(
    request: Request,
    now: dt.datetime,
    log: Log,
    stop: threading.Event | None = None,
    progress: accounts.Progress = accounts.quiet,
) -> list[Run]:
    """Plan every account region. Once `stop` is set, nothing new is read (what was not started is
    an outcome with a stopped failure); the caller must then not apply."""

    def plan_one(target: accounts.AccountRegion) -> RegionPrune:
        brake = Brake(limit=request.throttle_limit, stop=stop)
        log(f"{target.label}: reading")
        client = brake.attach(target.client("lambda"))
        cw = brake.attach(target.client("cloudwatch")) if request.policy.unused_days else None
        planned = plan_region(client, target.account_id, target.region, request, now, log, cw=cw)
        return RegionPrune(plan=planned.plan, holders=planned.holders, client=client, cw=cw, brake=brake)

    return accounts.run(request.scope, plan_one, stop=stop, progress=progress)


@dataclass(frozen=True, kw_only=True)
class Planned:
    plan: RegionPlan
    holders: tuple[list[quota.Holder], list[quota.Holder]] | None
    listing: Listing  # what was read, for reports and the benchmark's call accounting
    functions: FunctionPlan


def plan_region(
    lam: Any,
    account: str,
    region: str,
    request: Request,
    now: dt.datetime,
    log: Log,
    known_sizes: Mapping[str, int] | None = None,
    *,
    cw: Any = None,
) -> Planned:
    """Read what the plan needs, in three rounds, and plan. Raises AwsError if nothing can be
    planned (the functions could not be listed). `known_sizes` (layer version ARN -> bytes) are not
    read again: a layer version's content never changes. With an unused window, `cw` (CloudWatch)
    reads the invocations of every function looked at, in batches."""
    policy, workers = request.policy, request.workers
    listing = inventory.read_listing(lam, account, region, workers)
    names = plan.functions_to_read(listing, policy, now)
    whole: list[str] = []
    invocations = None
    if policy.unused_days is not None:
        if cw is None:
            raise ValueError("an unused window needs a CloudWatch client")
        invocations = metrics.read_invocations(
            cw, unused.metrics_to_read(listing, policy), now, policy.unused_days
        )
        whole = unused.refs_to_read(listing, invocations, policy)
    log(
        f"{account} {region}: {_count(listing)}; reading references of {units.count(len(set(names) | set(whole)), 'function')}"
    )
    refs, ref_errors = inventory.read_refs(lam, listing, names, workers, whole=whole)
    functions = plan.plan_functions(listing, refs, ref_errors, policy, now)
    if invocations is not None:
        functions = unused.plan_unused(listing, invocations, refs, ref_errors, policy, now, functions)
    candidates = plan.layers_to_read(listing, functions, policy, now)
    seen = {**(known_sizes or {}), **listing.layer_sizes_seen()}
    # Every size is needed when usage must be summed from the listings or for the storage report.
    sized = _all_layer_versions(listing) if request.storage or listing.settings is None else candidates
    details = inventory.read_layer_details(
        lam, [lv for lv in sized if lv.arn not in seen], candidates, workers
    )
    details = replace(details, sizes={**seen, **details.sizes})
    sizes = dict(details.sizes)
    usage = quota.usage(listing, sizes)
    region_plan = plan.plan_region(listing, functions, details, policy, now, usage)
    holders = quota.holders(listing, sizes, request.top) if request.storage else None
    return Planned(plan=region_plan, holders=holders, listing=listing, functions=functions)


def apply_all(runs: Sequence[Run], request: Request, now: dt.datetime, log: Log) -> list[Run]:
    """Read each planned region again, then delete what is still deletable and unchanged; the
    regions at once. No stop event here: each region's brake already carries it, and a region
    whose brake is on reports every planned delete as not started without a call."""
    return accounts.then(
        runs,
        lambda target, region: _apply_region(target, region, request, now, log),
        workers=request.scope.workers,
    )


def _apply_region(
    target: accounts.AccountRegion, run: RegionPrune, request: Request, now: dt.datetime, log: Log
) -> RegionPrune:
    if not run.plan.delete:
        return replace(run, outcomes=())
    where = target.label
    if run.halted:
        return replace(run, outcomes=_not_started(run.plan.delete, run.halted))
    log(f"{where}: reading again before deleting")
    try:
        fresh = plan_region(
            run.client,
            target.account_id,
            target.region,
            _narrowed(request, run.plan),
            now,
            log,
            _sizes(run.plan),
            cw=run.cw,
        )
    except LayerBuilderError as exc:
        if run.halted:
            return replace(run, outcomes=_not_started(run.plan.delete, run.halted))
        return replace(run, outcomes=(), error=f"{exc.message}; nothing was deleted here", hint=exc.hint)
    checked = plan.recheck(run.plan, fresh.plan)
    if checked.dropped:
        log(
            f"{where}: {len(checked.dropped)} planned versions are protected or changed now, not deleting them"
        )
    log(f"{where}: deleting {count_items(checked.plan.delete)}")
    outcomes = apply_plan(run.client, checked.plan, request.workers)
    return replace(run, outcomes=outcomes, rechecked=checked.plan, dropped=checked.dropped)


def _narrowed(request: Request, planned: RegionPlan) -> Request:
    """The same policy, looking only at the functions and layers the plan deletes from, so the
    re-check reads no more than the plan did. (Lambda names cannot hold glob characters.)"""
    functions = tuple(sorted({item.name for item in planned.delete if item.kind == "function"}))
    layers = tuple(sorted({item.name for item in planned.delete if item.kind == "layer"}))
    return replace(request, policy=replace(request.policy, functions=functions, layers=layers), storage=False)


def _sizes(planned: RegionPlan) -> dict[str, int]:
    """The layer version sizes a plan already read."""
    items = [*planned.delete, *(kept.item for kept in planned.keep)]
    return {item.arn: item.size for item in items if item.kind == "layer" and item.size is not None}


def _not_started(items: Sequence[Item], reason: str) -> tuple[Outcome, ...]:
    return tuple(Outcome(item=item, status=NOT_STARTED, detail=reason) for item in items)


def failures(runs: Sequence[Run]) -> list[str]:
    """Everything that went wrong, one line each: regions not planned, reads that failed (their
    versions were kept) and deletes that failed or were not started. What the throttling breaker
    left undone is summed up in one line per region. Empty when the run was complete."""
    lines: list[str] = []
    for run in runs:
        where = run.label
        message, _ = error(run)
        if message:
            lines.append(f"{where}: {message}")
        if run.result is None:
            continue
        found, undone = _region_failures(run.result)
        lines += [f"{where}: {line}" for line in found]
        if undone and run.result.halted != INTERRUPTED:  # after Ctrl-C the outcomes say it
            lines.append(
                f"{where}: {run.result.halted}: {undone} reads or deletes were not started (what they cover was kept)"
            )
    return lines


def error(run: Run) -> tuple[str | None, str | None]:
    """Why a region has no plan, or why its apply deleted nothing: the message and its hint."""
    if run.error is not None:
        return run.error.message, run.error.hint
    if run.result is not None and run.result.error:
        return run.result.error, run.result.hint
    return None, None


def hints(runs: Sequence[Run]) -> list[str]:
    """What to do about the failures: the hint each region's error carried, the breaker's, and a
    general one for reads and deletes that failed."""
    found: list[str] = []
    for run in runs:
        message, hint = error(run)
        wanted = [hint if message else None]
        if run.result is not None:
            failed, undone = _region_failures(run.result)
            brake = run.result.brake
            wanted.append(GENERAL_HINT if failed else None)
            wanted.append(BREAKER_HINT if undone and brake is not None and brake.tripped else None)
        found += [hint for hint in wanted if hint and hint not in found]
    return found


GENERAL_HINT = "fix the access or wait out the throttling, then run again; completed deletes are not repeated"
BREAKER_HINT = (
    "Lambda kept throttling: run again later (the next run plans afresh and continues), or lower the "
    "other load on the account's Lambda API"
)


def _region_failures(run: RegionPrune) -> tuple[list[str], int]:
    """A region's failed reads and deletes, and how many calls its brake kept from starting."""
    halted = run.halted
    lines: list[str] = []
    undone = 0
    for p in _problems(run):
        if halted and halted in p.error:
            undone += 1
        else:
            lines.append(f"{p.kind} {p.name}: {p.error} (kept)")
    for outcome in run.outcomes or ():
        if halted and outcome.status == NOT_STARTED:
            undone += 1
        elif outcome.status in (FAILED, SKIPPED, NOT_STARTED):
            lines.append(f"{outcome.item.kind} {outcome.item.label}: {outcome.status}: {outcome.detail}")
    return lines, undone


def _problems(run: RegionPrune) -> list[Problem]:
    """The plan's problems and those the re-check before deleting found anew."""
    problems = list(run.plan.problems)
    if run.rechecked is not None:
        problems += [p for p in run.rechecked.problems if p not in problems]
    return problems


def _all_layer_versions(listing: Listing) -> list[LayerVersion]:
    return [lv for versions in listing.layers.values() for lv in versions]


def count_items(items: Sequence[Item]) -> str:
    """ "3 versions", "2 whole functions" or "3 versions and 2 whole functions"."""
    whole = sum(1 for item in items if item.version == plan.WHOLE)
    versions = len(items) - whole
    parts = [units.count(versions, "version")] if versions or not whole else []
    if whole:
        parts.append(units.count(whole, "whole function"))
    return " and ".join(parts)


def _count(listing: Listing) -> str:
    functions = sum(len(v) for v in listing.functions.values())
    layers = sum(len(v) for v in listing.layers.values())
    return (
        f"{units.count(len(listing.functions), 'function')} ({units.count(functions, 'version')}), "
        f"{units.count(len(listing.layers), 'layer')} ({units.count(layers, 'version')})"
    )
