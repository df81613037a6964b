"""Benchmark: storage planning over an organization, concurrent against one account after another.

Starts the moto server of the integration tests in its own process (as AWS is not in ours: in the
same process its CPU time would compete with the tool's threads for one interpreter lock), creates
an AWS Organization with ACCOUNTS member accounts and FUNCTIONS functions in each of REGIONS
regions (written straight into moto's backend, not timed), and adds a fixed latency to every
request. Then plans every account region twice in the same run: once one account after another (a
--role-arn run per account, as before --organization), once with `--organization`'s scope. Prints
wall time, the CPU time of the tool and of the server, how many account regions were planned at
once, and the calls per account against the fewest the plan needs; writes the table into
BENCHMARKS.md.

    .venv/bin/python bench/prune_organization.py [--accounts 50] [--regions 4] [--functions 100] [--latency 0.1]

The latency (100 ms, as bench/publish.py) stands in for AWS's round trip plus its own answering
time; moto answers in a few milliseconds of this machine's CPU. It is an assumption, not a
measurement of AWS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import _report
from _report import REPO, format_table

HOME = "us-east-1"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-east-2"]
MANAGEMENT = "123456789012"  # moto's default account: the caller, and the organization's management


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--functions", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every request")
    parser.add_argument(
        "--workers", type=int, default=None, help="account regions at once (default: prune's)"
    )
    parser.add_argument("--open-workers", type=int, default=None, help="accounts opened at once")
    parser.add_argument(
        "--server-in-process",
        action="store_true",
        help="run moto in this process, as the first version of this script did (for comparison)",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    body = run(args)
    print(body)
    if not args.no_write:
        _report.update_section("prune-organization", body)


@dataclass
class Measured:
    seconds: float
    client_cpu: float
    server_cpu: float
    peak: int  # account regions planned at once, at most
    mean: float  # account regions planned at once, on average over the run
    others: float | None  # cores other processes used


class Concurrency:
    """From the runner's progress: how many account regions were being planned at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = self.peak = 0
        self.busy = 0.0  # sum of the account regions' planning times
        self.started: dict[str, float] = {}

    def __call__(self, label: str, state: str, detail: str | None) -> None:
        from builder import accounts

        now = time.perf_counter()
        with self.lock:
            if state == accounts.STARTED:
                self.started[label] = now
                self.running += 1
                self.peak = max(self.peak, self.running)
            elif state in (accounts.DONE, accounts.FAILED) and label in self.started:
                self.busy += now - self.started.pop(label)
                self.running -= 1


class InProcess:
    """The server in this process, with ServerProcess's commands; its CPU is counted as the tool's."""

    def __init__(self, motoserver: Any) -> None:
        self.motoserver = motoserver
        self.server = motoserver.LambdaMotoServer()
        self.server.start()
        self.url = str(self.server.url)

    def command(self, op: str, **args: Any) -> dict[str, Any]:
        if op == "latency":
            self.server.ext.latency = float(args["seconds"])
        elif op == "functions":
            self.motoserver.seed_functions(**args)
        return {}

    def calls(self, *, clear: bool = False) -> dict[tuple[str, str], int]:
        found = dict(self.server.ext.calls)
        if clear:
            self.server.ext.calls.clear()
        return found

    def cpu(self) -> float:
        return 0.0

    def stop(self) -> None:
        self.server.stop()


def run(args: argparse.Namespace) -> str:
    sys.path.insert(0, str(REPO / "tests"))
    import boto3
    from support import motoserver

    server: motoserver.ServerProcess | InProcess = (
        InProcess(motoserver) if args.server_in_process else motoserver.ServerProcess()
    )
    os.environ.update(motoserver.fake_aws_env(server.url, HOME))
    from builder import accounts, aws
    from builder.cleanup import runner
    from builder.cleanup.policy import Policy

    regions = REGIONS[: args.regions]
    started = time.perf_counter()
    org = boto3.client("organizations", region_name=HOME)
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(AccountName=f"a{i:03d}", Email=f"a{i}@example.com")["CreateAccountStatus"][
            "AccountId"
        ]
        for i in range(args.accounts)
    ]
    for account in ids:
        for region in regions:
            server.command("functions", account=account, region=region, count=args.functions, size=200)
    created = time.perf_counter() - started
    print(
        f"created {len(ids)} accounts x {len(regions)} regions x {args.functions} functions in {created:.1f} s",
        file=sys.stderr,
    )
    facts, load_start = _report.machine_facts(), _report.load_average()
    server.command("latency", seconds=args.latency)
    options = aws.AwsOptions()
    policy = Policy()
    now = dt.datetime.now(dt.timezone.utc)
    quiet = lambda _: None  # noqa: E731
    workers = args.workers if args.workers is not None else runner.SCOPE_WORKERS
    open_workers = args.open_workers if args.open_workers is not None else accounts.DEFAULT_OPEN_WORKERS

    def measure(scopes: list[accounts.Scope]) -> tuple[Measured, list[runner.Run]]:
        server.calls(clear=True)
        seen = Concurrency()
        busy0, own0, server0 = _report.machine_busy_seconds(), time.process_time(), server.cpu()
        wall0 = time.perf_counter()
        runs: list[runner.Run] = []
        for scope in scopes:
            runs += runner.plan_all(runner.Request(scope=scope, policy=policy), now, quiet, progress=seen)
        wall = time.perf_counter() - wall0
        client, served = time.process_time() - own0, server.cpu() - server0
        busy = _report.machine_busy_seconds()
        others = max(0.0, (busy - busy0 - client - served) / wall) if busy0 >= 0 and busy >= 0 else None
        failed = [r.error.message for r in runs if r.error]
        if failed:
            raise SystemExit(f"bench: {len(failed)} account regions failed: {failed[:3]}")
        return Measured(wall, client, served, seen.peak, seen.busy / wall, others), runs

    # One account after another: one --role-arn run per account, each with its regions concurrent.
    sequential, _ = measure(
        [
            accounts.Scope.of(
                [f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"],
                regions,
                options=options,
                workers=workers,
                open_workers=open_workers,
            )
            for account in ids
        ]
    )
    sequential_calls = server.calls()
    organization = accounts.Scope(
        accounts=(accounts.Organization(),),
        regions=accounts.Regions(tuple(regions)),
        options=options,
        workers=workers,
        open_workers=open_workers,
    )
    together, runs = measure([organization])
    assert len(runs) == (len(ids) + 1) * len(regions)
    org_calls = server.calls()
    server.stop()

    # Fewest calls per member account region: GetAccountSettings, ListFunctions pages (50 per page),
    # ListEventSourceMappings, ListLayers (nothing to delete: no per-function reads); per account one
    # AssumeRole (which proves the role; the account is the one in its ARN).
    pages = max(1, math.ceil(args.functions / 50))
    per_region = 1 + pages + 1 + 1
    minimum = 1 + per_region * len(regions)
    member_calls = [sum(n for (acct, _), n in org_calls.items() if acct == account) for account in ids]
    # AssumeRole is signed by the caller (the management account): count those separately.
    assumes = org_calls.get((MANAGEMENT, "sts"), 0)
    per_account = (sum(member_calls) + assumes) / len(ids)
    rows = [
        _row("one account after another (one --role-arn run each)", sequential, sequential),
        _row("--organization (accounts and regions concurrently)", together, sequential),
    ]
    table = format_table(
        [
            "run",
            "seconds",
            "speed-up",
            "tool CPU s",
            "server CPU s",
            "account regions at once (peak / mean)",
            "other processes (cores)",
        ],
        rows,
        [False, True, True, True, True, True, True],
    )
    scope = organization
    where = (
        "in the tool's process (its CPU time is counted as the tool's)"
        if args.server_in_process
        else "in its own process"
    )
    ceiling = _ceiling(args.latency, len(ids), len(regions), pages, scope.workers, scope.open_workers)
    floor = math.ceil(len(ids) * len(regions) / scope.workers) * (3 + pages) * args.latency
    return "\n".join(
        [
            "## Prune over an organization (bench/prune_organization.py)",
            "",
            *_report.facts_lines(facts, load_start, _report.load_average(), together.others),
            f"- Data: {len(ids)} member accounts x {len(regions)} regions x {args.functions} functions (plus the"
            f" management account's empty regions), written into the backend of the tests' moto server, which"
            f" runs {where}; {args.latency * 1000:.0f} ms added to every request (AWS's round trip"
            " and answering time, as bench/publish.py assumes). Policy: the default (keep 3): a plan of every"
            " account region, as `storage`/`prune --organization` make before anything is deleted.",
            f"- Scope: {scope.workers} account regions at once, {scope.open_workers} accounts opened at once."
            " One account after another runs each account's regions at once too (as a --role-arn run does), so"
            f" the speed-up comes from working on {scope.workers // max(1, len(regions))} accounts at a time and"
            f" opening the next accounts meanwhile: with only the latency counted, it is at most {ceiling:.1f}x"
            " (see the script).",
            "",
            table,
            "",
            f"Calls per member account (the management account's AssumeRole calls included): {per_account:.1f}"
            f" against the fewest needed, {minimum} (AssumeRole, and per region"
            f" GetAccountSettings, {pages} ListFunctions pages,"
            f" ListEventSourceMappings, ListLayers): {per_account / minimum:.2f}x. One account after another made"
            f" {sum(sequential_calls.values()) / len(ids):.1f} requests per account.",
            "",
            _limits(args, together, sequential, sum(org_calls.values()), ceiling, floor),
        ]
    )


def _limits(
    args: argparse.Namespace, m: Measured, baseline: Measured, requests: int, ceiling: float, floor: float
) -> str:
    """What held the organization run above its latency-only time, from the measured numbers."""
    cpu = m.client_cpu + m.server_cpu
    others = f"; other processes used {m.others:.2f} of the 2 cores" if m.others is not None else ""
    return (
        f"What limits the speed-up: with only the latency counted the organization run would take"
        f" {floor:.1f} s and one account after another {floor * ceiling:.1f} s ({ceiling:.1f}x). The organization run took {m.seconds:.1f} s while the tool and the"
        f" moto server used {cpu:.1f} s of CPU ({m.client_cpu:.1f} s and {m.server_cpu:.1f} s, about"
        f" {1000 * m.client_cpu / requests:.1f} ms and {1000 * m.server_cpu / requests:.1f} ms per"
        f" request over {requests} requests), each process in one interpreter{others}: every account"
        f" region waited for CPU between its round trips, where AWS's answering time costs this machine"
        f" nothing. One account after another mostly waits ({baseline.client_cpu + baseline.server_cpu:.1f} s"
        f" of CPU in {baseline.seconds:.1f} s), so it does not slow down the same way."
    )


def _row(name: str, m: Measured, baseline: Measured) -> list[str]:
    return [
        name,
        f"{m.seconds:.1f}",
        f"{baseline.seconds / m.seconds:.1f}x",
        f"{m.client_cpu:.1f}",
        f"{m.server_cpu:.1f}",
        f"{m.peak} / {m.mean:.1f}",
        "?" if m.others is None else f"{m.others:.2f}",
    ]


def _ceiling(
    latency: float, accounts: int, regions: int, pages: int, workers: int, open_workers: int
) -> float:
    """The speed-up if only the latency took time. One account after another: open (AssumeRole),
    then its regions at once, each a chain of 3 + `pages` calls. Together: every
    account region's chain with `workers` at once (opening overlaps), bounded below by one account's
    opening plus one chain."""
    chain = (3 + pages) * latency
    one_by_one = accounts * (latency + chain * math.ceil(regions / workers))
    together = max(math.ceil(accounts * regions / workers) * chain, latency + chain)
    return one_by_one / together


if __name__ == "__main__":
    main()
