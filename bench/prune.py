"""Benchmark: plan and apply a prune of 300 functions x 20 versions and 40 layers x 30 versions.

The apply goes through the same path as `prune --apply --yes`: the region is read again just before
deleting (the re-check), then the versions still deletable are deleted.

Runs against the moto server of the integration tests (tests/support/motoserver.py: moto
plus AWS's page sizes, GetAccountSettings and provisioned concurrency), counts every API call with
botocore event hooks, and prints the calls per kind next to the fewest calls the work needs on
AWS. Writes the table into BENCHMARKS.md between the prune markers.

    .venv/bin/python bench/prune.py [--functions 300] [--versions 20] [--layers 40] [--layer-versions 30]

Wall-clock times measure this tool plus moto on this machine, not AWS: on AWS the control plane's
rate (about 15 requests per second) dominates, so the call counts are the number to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import _report
from _report import REPO, format_table, grouped

REGION = "us-east-1"


def create(seed: Any, args: argparse.Namespace, workers: int) -> float:
    """Layers first, then functions whose versions run with them; a third of the functions get an
    alias on an old version. Returns the seconds it took."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        layer_arns = list(
            pool.map(
                lambda i: seed.layer(f"layer{i:02d}", args.layer_versions, size=4000), range(args.layers)
            )
        )

    def one_function(i: int) -> None:
        arns = layer_arns[i % args.layers]
        # Version v runs with layer version v (capped): the early layer versions are used only by
        # early function versions, which the prune deletes first.
        name = f"fn{i:03d}"
        seed.function(
            name, args.versions, size=2000, layers=lambda v: [arns[min(v, len(arns)) - 1]], new_code=False
        )
        if i % 3 == 0:
            seed.alias(name, "live", str(args.versions // 2))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one_function, range(args.functions)))
    return time.perf_counter() - started


class CallCounter:
    """Counts API calls (before-call: once per call) and HTTP requests (before-send: retries too)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.requests = 0

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.lambda", self._call)
        client.meta.events.register("before-send.lambda", self._send)

    def _call(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def _send(self, **_: Any) -> None:
        self.requests += 1


def minimum_calls(listing: Any, region_plan: Any, read: list[str], candidates: list[Any]) -> dict[str, int]:
    """The fewest calls the plan and apply need on AWS with its page sizes."""
    versions = sum(len(v) for v in listing.functions.values())
    seen = listing.layer_sizes_seen()
    deletes = Counter(item.kind for item in region_plan.delete)
    return {
        "GetAccountSettings": 1,
        "ListFunctions": math.ceil(versions / 50),
        "ListEventSourceMappings": max(1, math.ceil(len(listing.mappings or ()) / 100)),
        "ListLayers": max(1, math.ceil(len(listing.layers) / 50)),
        "ListLayerVersions": sum(max(1, math.ceil(len(v) / 50)) for v in listing.layers.values()),
        "ListAliases": len(read),
        "ListProvisionedConcurrencyConfigs": len(read),
        "ListTags": len(read),
        "GetLayerVersion": sum(1 for lv in candidates if lv.arn not in seen),
        "GetLayerVersionPolicy": len(candidates),
        "DeleteFunction": deletes["function"],
        "DeleteLayerVersion": deletes["layer"],
    }


def run(args: argparse.Namespace) -> str:
    sys.path.insert(0, str(REPO / "tests"))  # the tests' support package, as pytest's pythonpath has it
    from support import motoserver

    server = motoserver.LambdaMotoServer()
    server.start()
    os.environ.update(motoserver.fake_aws_env(server.url, REGION))
    from builder import accounts, aws
    from builder.cleanup import plan, runner
    from builder.cleanup.brake import Brake
    from builder.cleanup.policy import Policy

    seed = motoserver.Seed(server.url, REGION)
    print(
        f"creating {args.functions} functions x {args.versions} versions and {args.layers} layers x "
        f"{args.layer_versions} versions on {server.url} ...",
        file=sys.stderr,
    )
    created = create(seed, args, args.workers)
    print(f"created in {created:.1f} s", file=sys.stderr)
    facts, load_start = _report.machine_facts(), _report.load_average()

    options = aws.AwsOptions()
    account = aws.open_account(None, REGION, options)
    brake = Brake()
    lam = brake.attach(aws.client(account, "lambda", REGION, options))
    counter = CallCounter()
    counter.attach(lam)
    policy = Policy()
    request = runner.Request(scope=accounts.Scope.of([None], [REGION], options=options), policy=policy)
    now = dt.datetime.now(dt.timezone.utc)

    started = time.perf_counter()
    planned = runner.plan_region(lam, account.account_id, REGION, request, now, lambda _: None)
    plan_seconds = time.perf_counter() - started
    plan_calls, plan_requests = Counter(counter.calls), counter.requests

    marks: list[tuple[float, Counter[str], int]] = []

    def log(message: str) -> None:  # the runner says when the re-check is over and deletes start
        if ": deleting " in message:
            marks.append((time.perf_counter(), Counter(counter.calls), counter.requests))

    region_run = accounts.Outcome(
        account=account.account_id,
        region=REGION,
        target=accounts.AccountRegion(account=account, region=REGION, options=options),
        result=runner.RegionPrune(plan=planned.plan, client=lam, brake=brake),
    )
    started = time.perf_counter()
    [outcome] = runner.apply_all([region_run], request, now, log)
    finished = time.perf_counter()
    server.stop()
    deleting_at, calls_at, requests_at = marks[0]
    applied = outcome.result
    if outcome.error is not None or applied is None:
        raise SystemExit(f"bench: apply failed: {outcome.error}")

    # The reads the plan needed, recomputed from the listing without any call.
    listing = planned.listing
    read = plan.functions_to_read(listing, policy, now)
    candidates = plan.layers_to_read(listing, planned.functions, policy, now)
    minimum = minimum_calls(listing, planned.plan, read, candidates)
    return table(
        args,
        created=created,
        seconds=[plan_seconds, deleting_at - started, finished - deleting_at],
        calls=[plan_calls, calls_at - plan_calls, counter.calls - calls_at],
        requests=[plan_requests, requests_at - plan_requests, counter.requests - requests_at],
        minimum=minimum,
        outcomes=Counter(o.status for o in applied.outcomes or ()),
        dropped=len(applied.dropped),
        deletes=Counter(item.kind for item in planned.plan.delete),
        freed=planned.plan.freed,
        facts=facts,
        load_start=load_start,
    )


def table(args: argparse.Namespace, **r: Any) -> str:
    versions = args.functions * (args.versions + 1)
    deletes, minimum = r["deletes"], r["minimum"]
    plan_calls, check_calls, delete_calls = r["calls"]
    labels = [
        f"plan: {grouped(versions)} function versions, {grouped(args.layers * args.layer_versions)} layer versions",
        "re-check before deleting: the same functions and layers read again",
        f"delete {grouped(deletes['function'])} function + {grouped(deletes['layer'])} layer versions"
        f" ({r['freed'] / 1e6:.1f} MB)",
    ]
    steps = format_table(
        ["step", "seconds", "API calls", "HTTP requests (with retries)"],
        [
            [label, f"{seconds:.1f}", grouped(sum(calls.values())), grouped(requests)]
            for label, seconds, calls, requests in zip(
                labels, r["seconds"], r["calls"], r["requests"], strict=True
            )
        ],
        [False, True, True, True],
    )
    names = [*minimum, *sorted(set(plan_calls + check_calls + delete_calls) - set(minimum))]
    rows = [
        [
            name if name in minimum else f"{name} (not expected)",
            grouped(plan_calls[name]),
            grouped(check_calls[name]),
            grouped(delete_calls[name]),
            grouped(minimum.get(name, 0)),
        ]
        for name in names
    ]
    per_call = format_table(
        ["call", "plan", "re-check", "delete", "fewest needed on AWS (plan + delete)"],
        rows,
        [False, True, True, True, True],
    )
    outcome = ", ".join(f"{n} {status}" for status, n in sorted(r["outcomes"].items()))
    at_rate = [sum(calls.values()) / 15 / 60 for calls in r["calls"]]
    return "\n".join(
        [
            "## Prune (bench/prune.py)",
            "",
            *_report.facts_lines(r["facts"], r["load_start"], _report.load_average()),
            f"- Data: {args.functions} functions x {args.versions} published versions (+ $LATEST; every third"
            f" function has an alias on version {args.versions // 2}), {args.layers} layers x"
            f" {args.layer_versions} versions, created through the API in {r['created']:.0f} s with"
            f" {args.workers} threads on the moto server of the integration tests (moto plus AWS's page"
            " sizes, GetAccountSettings and provisioned concurrency configs). Policy: the default (keep 3).",
            "- The apply is what `prune --apply --yes` runs: the planned functions and layers are read again"
            " just before deleting, and only what is still deletable and unchanged is deleted.",
            "- Times are this tool plus moto on this machine. On AWS the control plane's shared rate (about 15"
            " requests per second) sets the pace, so the call counts are what carries over: at 15 per second the"
            f" plan takes about {at_rate[0]:.1f} minutes, the re-check {at_rate[1]:.1f} and the deletes"
            f" {at_rate[2]:.1f}.",
            "",
            steps,
            "",
            "Calls per kind, next to the fewest the plan and the deletes need with AWS's page sizes (50 functions"
            " or layer versions per ListFunctions/ListLayerVersions page; references only for functions with"
            " something to delete; sizes only for layer versions no function configuration reports):",
            "",
            per_call,
            "",
            f"Apply outcomes: {outcome}; {r['dropped']} planned versions left alone by the re-check.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--functions", type=int, default=300)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--layers", type=int, default=40)
    parser.add_argument("--layer-versions", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="threads creating the resources")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    body = run(args)
    print(body)
    if not args.no_write:
        _report.update_section("prune", body)


if __name__ == "__main__":
    main()
