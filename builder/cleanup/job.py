"""The scheduled cleanup job: a Lambda handler that runs the same prune as `layer-builder prune`.

Its policy comes from environment variables (the SAM template in deploy/cleanup-job sets them):

    PRUNE_REGIONS          comma-separated regions (default: the job's own region, AWS_REGION)
    PRUNE_ROLE_ARNS        comma-separated roles to assume, one per account (default: its own role)
    PRUNE_KEEP             newest versions kept per function and per layer (default 3)
    PRUNE_OLDER_THAN_DAYS  only versions older than this many days may be deleted
    PRUNE_FUNCTIONS        comma-separated globs of function names
    PRUNE_LAYERS           comma-separated globs of layer names
    PRUNE_TARGET_USAGE     delete oldest first only until usage is under this percentage
    PRUNE_APPLY            "true" deletes; "false" (the default) only plans
    PRUNE_MAX_ATTEMPTS     attempts per AWS call, throttles included (default 6)
    PRUNE_UNUSED_DAYS      also look for whole functions not invoked in this many days (1-455)
    PRUNE_DELETE_UNUSED    "true" deletes those (with PRUNE_APPLY); the default only reports them
    PRUNE_REPORT_BUCKET    a central bucket: each account region's JSON report is written to
                           ACCOUNT/REGION/YYYY-MM-DD.json there (the StackSet deployment sets it)

It logs one JSON object per line (CloudWatch Logs keeps each line as one event, up to 256 KB, so
the plan is logged a function or layer at a time): a "plan" summary per region, a "delete" line per
planned deletion, a "keep" line per function or layer with the reason for each kept version, and
with PRUNE_APPLY a "dropped" line per planned version that the check just before deleting found
protected or changed, and a "deleted" line per outcome. When anything could not be read or deleted it
raises after logging, so the invocation counts as an error in the function's metrics.

`package` writes the deployment zip: this package without the CLI; boto3 comes from the runtime.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from builder import accounts, aws, units, zips
from builder.cleanup import runner
from builder.cleanup.plan import RegionPlan
from builder.cleanup.policy import DEFAULT_KEEP, Policy, patterns, split_list
from builder.cleanup.report import item_json, kept_json, run_json
from builder.errors import ConfigError

# What the job imports, relative to the builder package. A test imports the handler from the
# packaged zip with typer and rich blocked, so a missing module fails there, not in production.
JOB_FILES = (
    "__init__.py",
    "accounts.py",
    "aws.py",
    "errors.py",
    "runtimes.py",
    "suggest.py",
    "tomlload.py",
    "units.py",
    "zips.py",
    "data/limits.toml",
    "data/runtimes.toml",
    "cleanup/__init__.py",
    "cleanup/apply.py",
    "cleanup/brake.py",
    "cleanup/inventory.py",
    "cleanup/job.py",
    "cleanup/metrics.py",
    "cleanup/model.py",
    "cleanup/plan.py",
    "cleanup/policy.py",
    "cleanup/quota.py",
    "cleanup/report.py",
    "cleanup/runner.py",
    "cleanup/unused.py",
)
HANDLER = "builder.cleanup.job.handler"


class JobFailed(RuntimeError):
    """Raised after logging so the scheduled invocation is counted as failed."""


def handler(event: object, context: object) -> dict[str, Any]:
    request, apply = request_from(os.environ)
    bucket = os.environ.get("PRUNE_REPORT_BUCKET", "").strip()
    now = dt.datetime.now(dt.timezone.utc)
    store = _s3_store(bucket, request, now) if bucket else None
    return run_job(request, apply=apply, now=now, emit=_print_json, store=store)


def report_key(account: str, region: str, now: dt.datetime) -> str:
    return f"{account}/{region}/{now:%Y-%m-%d}.json"


def _s3_store(
    bucket: str, request: runner.Request, now: dt.datetime
) -> Callable[[runner.Run, dict[str, Any]], None]:
    import boto3  # the runtime's

    s3 = boto3.client("s3", config=aws.client_config(request.scope.options))

    def store(run: runner.Run, report: dict[str, Any]) -> None:
        s3.put_object(
            Bucket=bucket,
            Key=report_key(run.account, run.region, now),
            Body=json.dumps(report, default=str, sort_keys=True).encode(),
            ContentType="application/json",
        )

    return store


def request_from(env: Mapping[str, str]) -> tuple[runner.Request, bool]:
    """The prune request and whether to apply it, from the job's environment variables."""
    regions = split_list([env.get("PRUNE_REGIONS", "")]) or split_list([env.get("AWS_REGION", "")])
    if not regions:
        raise ConfigError("PRUNE_REGIONS is empty and AWS_REGION is not set")
    keep = _int(env, "PRUNE_KEEP")
    policy = Policy(
        keep=DEFAULT_KEEP if keep is None else keep,
        older_than_days=_int(env, "PRUNE_OLDER_THAN_DAYS"),
        functions=_patterns(env, "PRUNE_FUNCTIONS"),
        layers=_patterns(env, "PRUNE_LAYERS"),
        target_usage=_float(env, "PRUNE_TARGET_USAGE"),
        unused_days=_int(env, "PRUNE_UNUSED_DAYS"),
        # Deleting whole functions is asked for on its own: PRUNE_APPLY alone deletes versions only.
        delete_unused=_bool(env, "PRUNE_DELETE_UNUSED"),
    )
    roles: list[str | None] = list(split_list([env.get("PRUNE_ROLE_ARNS", "")])) or [None]
    attempts = _int(env, "PRUNE_MAX_ATTEMPTS")
    options = aws.AwsOptions(max_attempts=aws.DEFAULT_MAX_ATTEMPTS if attempts is None else attempts)
    scope = accounts.Scope.of(roles, regions, options=options, workers=runner.SCOPE_WORKERS)
    return runner.Request(scope=scope, policy=policy), _bool(env, "PRUNE_APPLY")


def run_job(
    request: runner.Request,
    *,
    apply: bool,
    now: dt.datetime,
    emit: Callable[[dict[str, Any]], None],
    store: Callable[[runner.Run, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    runs = runner.plan_all(request, now, lambda message: emit({"event": "progress", "message": message}))
    for run in runs:
        if run.result is None:
            emit(
                {"event": "plan", "account": run.account, "region": run.region, "error": runner.error(run)[0]}
            )
        else:
            _emit_plan(run.result.plan, emit)
    if apply:
        runs = runner.apply_all(runs, request, now, lambda m: emit({"event": "progress", "message": m}))
        for run in runs:
            where = {"account": run.account, "region": run.region}
            for kept in run.result.dropped if run.result else ():
                emit({"event": "dropped", **where, **kept_json(kept)})
            for outcome in run.result.outcomes or () if run.result else ():
                emit({"event": "deleted", **where, **outcome.to_json()})
    problems = runner.failures(runs)
    summary = {
        "event": "result",
        "applied": apply,
        "policy": request.policy.to_json(),
        "regions": [_region_summary(run) for run in runs],
        "problems": problems,
        "hints": runner.hints(runs) if problems else [],
    }
    emit(summary)
    for run in runs:
        if store is None:
            break
        report = {
            "account": run.account,
            "region": run.region,
            "generated": now.isoformat(),
            "applied": apply,
            "policy": request.policy.to_json(),
            **run_json(run),
        }
        try:
            store(run, report)
        except Exception as exc:  # the report is extra: its failure is a problem, not a crash
            problems.append(f"{run.label}: the report could not be written: {exc}")
    if problems:
        raise JobFailed(
            f"{units.count(len(problems), 'problem')}, see the log; versions they cover were kept"
        )
    return summary


def package(output: Path) -> tuple[Path, str]:
    """Write the job's deployment zip; return its path and sha256."""
    root = resources.files("builder")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    facts = zips.write(partial, ((f"builder/{name}", root.joinpath(name)) for name in sorted(JOB_FILES)))
    partial.replace(output)
    return output, facts.sha256


def _emit_plan(plan: RegionPlan, emit: Callable[[dict[str, Any]], None]) -> None:
    where = {"account": plan.account, "region": plan.region}
    emit(
        {
            "event": "plan",
            **where,
            "usage": plan.usage.to_json(),
            "delete_count": len(plan.delete),
            "freed_bytes": plan.freed,
            "kept_count": len(plan.keep),
            "problems": [{"kind": p.kind, "name": p.name, "error": p.error} for p in plan.problems],
            "unmatched_patterns": [{"kind": kind, "pattern": pattern} for kind, pattern in plan.unmatched],
        }
    )
    for item in plan.delete:
        emit({"event": "delete", **where, **item_json(item)})
    for function in plan.unused:
        emit({"event": "unused", **where, **function.to_json()})
    kept: dict[tuple[str, str], dict[str, list[str]]] = {}
    for entry in plan.keep:
        versions = kept.setdefault((entry.item.kind, entry.item.name), {})
        versions[entry.item.version] = [reason.text for reason in entry.reasons]
    for (kind, name), versions in kept.items():
        emit({"event": "keep", **where, "kind": kind, "name": name, "versions": versions})


def _region_summary(run: runner.Run) -> dict[str, Any]:
    region = run.result
    counts: dict[str, int] = {}
    for outcome in region.outcomes or () if region else ():
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return {
        "account": run.account,
        "region": run.region,
        "error": runner.error(run)[0],
        "planned_deletes": len(region.plan.delete) if region else 0,
        "planned_bytes": region.plan.freed if region else 0,
        "dropped_before_deleting": len(region.dropped) if region else 0,
        "outcomes": counts,
    }


def _print_json(record: dict[str, Any]) -> None:
    # Lambda sends stdout to CloudWatch Logs, one line per event.
    print(json.dumps(record, default=str, sort_keys=True), flush=True)


def _patterns(env: Mapping[str, str], key: str) -> tuple[str, ...]:
    # Empty is the template's default for "not set"; a value with a blank part is a mistake.
    value = env.get(key, "")
    return patterns([value], key) if value.strip() else ()


def _int(env: Mapping[str, str], key: str) -> int | None:
    value = env.get(key, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{key} must be a whole number, got {value!r}") from None


def _float(env: Mapping[str, str], key: str) -> float | None:
    value = env.get(key, "").strip()
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{key} must be a number, got {value!r}") from None


def _bool(env: Mapping[str, str], key: str) -> bool:
    value = env.get(key, "").strip().lower()
    if value in ("", "false", "no", "0"):
        return False
    if value in ("true", "yes", "1"):
        return True
    # A typo must not silently turn a dry run into deletes, nor an intended apply into a no-op.
    raise ConfigError(f"{key} must be true or false, got {value!r}")
