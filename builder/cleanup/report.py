"""Plans, storage reports and results as JSON-ready data (for --json and the scheduled job's log);
byte counts for people are formatted by builder/units.py. No rich, no typer: the scheduled job imports this."""

from __future__ import annotations

from collections.abc import Sequence

from builder.cleanup.plan import Item, Kept, RegionPlan
from builder.cleanup.policy import Policy
from builder.cleanup.runner import Run, error, failures


def item_json(item: Item) -> dict[str, object]:
    return {
        "kind": item.kind,
        "name": item.name,
        "version": item.version,
        "arn": item.arn,
        "bytes": item.size,
        "created": item.created.isoformat(),
    }


def kept_json(kept: Kept) -> dict[str, object]:
    return {
        **item_json(kept.item),
        "reasons": [{"rule": r.rule, "detail": r.detail, "text": r.text} for r in kept.reasons],
    }


def plan_json(plan: RegionPlan) -> dict[str, object]:
    return {
        "usage": plan.usage.to_json(),
        "delete": [item_json(item) for item in plan.delete],
        "keep": [kept_json(kept) for kept in plan.keep],
        "problems": [{"kind": p.kind, "name": p.name, "error": p.error} for p in plan.problems],
        "freed_bytes": plan.freed,
        "used_after_bytes": plan.usage_after,
        "unmatched_patterns": [{"kind": kind, "pattern": pattern} for kind, pattern in plan.unmatched],
        "unused_functions": [f.to_json() for f in plan.unused],
        "unused_bytes": sum(f.size for f in plan.unused),
    }


def run_json(run: Run) -> dict[str, object]:
    data: dict[str, object] = {"account": run.account, "region": run.region, "error": error(run)[0]}
    region = run.result
    if region is None:
        return data
    data["plan"] = plan_json(region.plan)
    if region.holders is not None:
        functions, layers = region.holders
        data["top_functions"] = [h.to_json() for h in functions]
        data["top_layers"] = [h.to_json() for h in layers]
    if region.outcomes is not None:
        # Planned versions the check just before deleting found protected or changed: not deleted.
        data["dropped"] = [kept_json(kept) for kept in region.dropped]
        data["result"] = [outcome.to_json() for outcome in region.outcomes]
    return data


def report_json(
    runs: Sequence[Run], policy: Policy, *, applied: bool, interrupted: bool = False
) -> dict[str, object]:
    return {
        "policy": policy.to_json(),
        "applied": applied,
        "interrupted": interrupted,
        "regions": [run_json(run) for run in runs],
        "problems": failures(runs),
    }
