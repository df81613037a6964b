"""Whole functions nobody invokes any more: which to delete and, for every one kept, why. Pure.

A function is *unused* when CloudWatch counted no invocation of it (any version or alias) in the
window (metrics.py reads the counts). An unused function is deleted whole (every version and
alias) only when nothing else says it is still wanted; each such thing is a rule in plan.RULES:

- ``too-young``: Lambda has no creation date, so a function's age is its oldest version's
  LastModified (a published version's LastModified never changes; $LATEST's changes with every
  update). When that is inside the window, the function has not existed for the whole window and
  its missing metrics prove nothing.
- ``changed-recently``: any version (usually $LATEST) modified inside the window: someone is
  working on it.
- ``unreadable``: its metrics, references, event source mappings or policies could not be read.
- ``event-source-mapping``, ``function-url``, ``provisioned-concurrency``, ``invoke-permission``
  (a resource-based policy on the function or an alias that lets a service or another account
  invoke it: EventBridge, S3, SNS, API Gateway, ...), ``edge-replica``: something outside the
  metrics may start it, or AWS would refuse.
- ``cloudformation``: the aws:cloudformation:stack-name tag names the stack to delete instead
  (deleting the function under the stack makes the stack drift and its next update fail).
- ``keep-tag``: the layer-builder:keep tag, whatever its value.
- ``not-selected`` never shows here: functions --functions does not match are not looked at.
- ``report-only``: the policy only reports unused functions (`storage`, the scheduled job by
  default).

Functions that were invoked are not listed; their counts are kept for the re-check before
deleting, which then says "invoked since the plan".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

from builder.cleanup.model import FunctionRefs, FunctionVersion, Invocations, Listing, unqualified_arn
from builder.cleanup.plan import WHOLE, FunctionPlan, Item, Kept, Problem, Reason, UnusedFunction
from builder.cleanup.policy import KEEP_TAG, Policy

STACK_TAG = "aws:cloudformation:stack-name"


def metrics_to_read(listing: Listing, policy: Policy) -> list[str]:
    """The functions whose invocations are read: those the policy selects (all without patterns)."""
    if policy.unused_days is None:
        return []
    return sorted(name for name in listing.functions if policy.selects_function(name))


def refs_to_read(listing: Listing, invocations: Invocations, policy: Policy) -> list[str]:
    """Functions with no invocation in the window: their references decide whether they may go."""
    return [
        name
        for name in metrics_to_read(listing, policy)
        if name not in invocations.errors and invocations.counts.get(name) == 0
    ]


def plan_unused(
    listing: Listing,
    invocations: Invocations,
    refs: Mapping[str, FunctionRefs],
    ref_errors: Mapping[str, str],
    policy: Policy,
    now: dt.datetime,
    functions: FunctionPlan,
) -> FunctionPlan:
    """`functions` (the version plan) with the unused functions judged: a deletable one replaces
    its versions' entries with one whole-function item; every other unused one is kept whole."""
    since = policy.unused_since(now)
    assert since is not None, "plan_unused needs a policy with an unused window"
    mapped = _mapped_functions(listing.mappings or ())
    candidates: list[Item] = []
    kept: list[Kept] = []
    found: list[UnusedFunction] = []
    whole: dict[str, tuple[str, ...]] = {}
    invoked: dict[str, float] = {}
    problems: list[Problem] = []
    for name in metrics_to_read(listing, policy):
        versions = listing.functions[name]
        item = whole_item(name, versions)
        if name in invocations.errors:
            problems.append(Problem(kind="metrics", name=name, error=invocations.errors[name]))
            kept.append(Kept(item=item, reasons=(Reason("unreadable", invocations.errors[name]),)))
            continue
        count = invocations.counts.get(name)
        if count is None:  # not asked (cannot happen with metrics_to_read); never taken as unused
            continue
        if count > 0:
            invoked[item.arn] = count
            continue
        reasons = _reasons(name, versions, since, refs, ref_errors, listing, mapped)
        if not policy.delete_unused:
            reasons.append(Reason("report-only"))
        found.append(
            UnusedFunction(
                name=name,
                arn=item.arn,
                size=item.size or 0,
                versions=len(versions),
                modified=item.created,
                runtime=_runtime(versions),
                reasons=tuple(reasons),
            )
        )
        if reasons:
            kept.append(Kept(item=item, reasons=tuple(reasons)))
        else:
            candidates.append(item)
            whole[item.arn] = tuple(sorted(v.arn for v in versions))
    going = set(whole)
    return FunctionPlan(
        # The versions of a function deleted whole are neither deleted nor kept one by one.
        candidates=tuple(c for c in functions.candidates if unqualified_arn(c.arn) not in going)
        + tuple(candidates),
        kept=tuple(k for k in functions.kept if unqualified_arn(k.item.arn) not in going) + tuple(kept),
        problems=functions.problems + tuple(problems),
        unused=tuple(found),
        invoked=invoked,
        whole=whole,
    )


def whole_item(name: str, versions: Sequence[FunctionVersion]) -> Item:
    """One item for every version of a function: its size is theirs together, its date the newest
    LastModified, and its fingerprint changes when any version is published, updated or deleted,
    so the re-check before deleting sees any change."""
    fingerprint = hashlib.sha256(
        "\n".join(
            f"{v.version} {v.code_sha256} {v.modified.isoformat()}"
            for v in sorted(versions, key=lambda v: v.version)
        ).encode()
    ).hexdigest()
    return Item(
        kind="function",
        name=name,
        version=WHOLE,
        arn=unqualified_arn(versions[0].arn),
        size=sum(v.code_size for v in versions),
        created=max(v.modified for v in versions),
        code_sha256=fingerprint,
    )


def _reasons(
    name: str,
    versions: Sequence[FunctionVersion],
    since: dt.datetime,
    refs: Mapping[str, FunctionRefs],
    ref_errors: Mapping[str, str],
    listing: Listing,
    mapped: set[str],
) -> list[Reason]:
    reasons: list[Reason] = []
    oldest = min(v.modified for v in versions)
    newest = max(v.modified for v in versions)
    if oldest > since:
        reasons.append(Reason("too-young", f"oldest version {oldest:%Y-%m-%d}"))
    elif newest > since:
        reasons.append(Reason("changed-recently", f"{newest:%Y-%m-%d}"))
    replica = next((v.master_arn for v in versions if v.master_arn), None)
    if replica:
        reasons.append(Reason("edge-replica", replica))
    if listing.mappings is None:
        reasons.append(Reason("unreadable", f"event source mappings: {listing.mappings_error}"))
    elif name in mapped:
        reasons.append(Reason("event-source-mapping"))
    if name in ref_errors:
        reasons.append(Reason("unreadable", ref_errors[name]))
        return reasons
    found = refs.get(name)
    if found is None or found.urls is None or found.invokers is None:
        reasons.append(Reason("unreadable", "references were not read"))
        return reasons
    if KEEP_TAG in found.tags:
        reasons.append(Reason("keep-tag", f"{KEEP_TAG}={found.tags[KEEP_TAG]}"))
    if STACK_TAG in found.tags:
        reasons.append(Reason("cloudformation", found.tags[STACK_TAG]))
    if found.provisioned:
        reasons.append(Reason("provisioned-concurrency"))
    if found.urls:
        reasons.append(Reason("function-url", ", ".join(found.urls)))
    if found.invokers:
        reasons.append(Reason("invoke-permission", ", ".join(found.invokers)))
    return reasons


def _mapped_functions(function_arns: Sequence[str]) -> set[str]:
    """Names of the functions event source mappings invoke, qualified or not."""
    # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    return {arn.split(":")[6] for arn in function_arns if arn.count(":") >= 6}


def _runtime(versions: Sequence[FunctionVersion]) -> str:
    latest = next((v for v in versions if v.version == "$LATEST"), versions[-1])
    return latest.runtime or "image"
