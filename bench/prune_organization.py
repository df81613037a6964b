"""Benchmark: storage planning over an organization, concurrent against one account after another.

Creates an AWS Organization on the moto server of the integration tests with ACCOUNTS member
accounts, FUNCTIONS functions in each of REGIONS regions, and adds a fixed latency to every request
(AWS's round trips). Then plans every account region twice in the same run: once one account after
another (a --role-arn run per account, as before --organization), once with `--organization`'s
scope (accounts opened a few at a time, regions concurrently). Prints wall time for both and the
calls per account against the fewest the plan needs; writes the table into BENCHMARKS.md.

    .venv/bin/python bench/prune_organization.py [--accounts 50] [--regions 4] [--functions 100] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import _report
from _report import REPO, format_table

HOME = "us-east-1"
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-east-2"]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument("--functions", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--workers", type=int, default=8, help="threads creating the resources")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    body = run(args)
    print(body)
    if not args.no_write:
        _report.update_section("prune-organization", body)


def run(args: argparse.Namespace) -> str:
    sys.path.insert(0, str(REPO / "tests"))
    import boto3
    from support import motoserver

    server = motoserver.LambdaMotoServer()
    server.start()
    os.environ.update(
        AWS_ENDPOINT_URL=server.url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=HOME,
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    from builder import accounts, aws
    from builder.cleanup import runner
    from builder.cleanup.policy import Policy

    regions = REGIONS[: args.regions]
    org = boto3.client("organizations", region_name=HOME)
    org.create_organization(FeatureSet="ALL")
    ids = [
        org.create_account(AccountName=f"a{i:03d}", Email=f"a{i}@example.com")["CreateAccountStatus"][
            "AccountId"
        ]
        for i in range(args.accounts)
    ]
    started = time.perf_counter()

    def fill(account_region: tuple[str, str]) -> None:
        account, region = account_region
        sts = boto3.client("sts", region_name=HOME)
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
        )["Credentials"]
        seed = motoserver.Seed(
            server.url,
            region,
            credentials={
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            },
        )
        for i in range(args.functions):
            seed.function(f"fn{i:03d}", 0, size=200)

    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(fill, [(a, r) for a in ids for r in regions]))
    created = time.perf_counter() - started
    print(
        f"created {len(ids)} accounts x {len(regions)} regions x {args.functions} functions in {created:.0f} s",
        file=sys.stderr,
    )
    facts, load_start = _report.machine_facts(), _report.load_average()
    server.ext.latency = args.latency
    options = aws.AwsOptions()
    policy = Policy()
    now = dt.datetime.now(dt.timezone.utc)
    quiet = lambda _: None  # noqa: E731

    # One account after another: one --role-arn run per account, each with its regions concurrent.
    server.ext.calls.clear()
    started = time.perf_counter()
    for account in ids:
        scope = accounts.Scope.of(
            [f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"], regions, options=options
        )
        runs = runner.plan_all(runner.Request(scope=scope, policy=policy), now, quiet)
        assert all(r.error is None for r in runs), [r.error for r in runs if r.error]
    one_by_one = time.perf_counter() - started
    sequential_calls = dict(server.ext.calls)

    server.ext.calls.clear()
    scope = accounts.Scope(
        accounts=(accounts.Organization(),), regions=accounts.Regions(tuple(regions)), options=options
    )
    started = time.perf_counter()
    runs = runner.plan_all(runner.Request(scope=scope, policy=policy), now, quiet)
    together = time.perf_counter() - started
    assert all(r.error is None for r in runs), [r.error for r in runs if r.error]
    assert len(runs) == (len(ids) + 1) * len(regions)
    org_calls = dict(server.ext.calls)
    server.stop()

    # Fewest calls per member account region: GetAccountSettings, ListFunctions pages (50 per page),
    # ListEventSourceMappings, ListLayers (nothing to delete: no per-function reads); per account one
    # AssumeRole and one GetCallerIdentity.
    per_region = 1 + max(1, math.ceil(args.functions / 50)) + 1 + 1
    minimum = 2 + per_region * len(regions)
    member_calls = [sum(n for (acct, _), n in org_calls.items() if acct == account) for account in ids]
    # AssumeRole is signed by the caller (the management account): count those separately.
    assumes = org_calls.get(("123456789012", "sts"), 0)
    per_account = (sum(member_calls) + assumes) / len(ids)
    rows = [
        ["one account after another (one --role-arn run each)", f"{one_by_one:.1f}", "1.0x"],
        [
            "--organization (accounts and regions concurrently)",
            f"{together:.1f}",
            f"{one_by_one / together:.1f}x",
        ],
    ]
    table = format_table(["run", "seconds", "speed-up"], rows, [False, True, True])
    return "\n".join(
        [
            "## Prune over an organization (bench/prune_organization.py)",
            "",
            *_report.facts_lines(facts, load_start, _report.load_average()),
            f"- Data: {len(ids)} member accounts x {len(regions)} regions x {args.functions} functions (plus the"
            f" management account's empty regions), created in {created:.0f} s on the moto server of the tests;"
            f" {args.latency * 1000:.0f} ms added to every request. Policy: the default (keep 3): a plan of every"
            " account region, as `storage`/`prune --organization` make before anything is deleted.",
            "",
            table,
            "",
            f"Calls per member account (the management account's AssumeRole calls included): {per_account:.1f}"
            f" against the fewest needed, {minimum} (AssumeRole, GetCallerIdentity, and per region"
            f" GetAccountSettings, {max(1, math.ceil(args.functions / 50))} ListFunctions pages,"
            f" ListEventSourceMappings, ListLayers): {per_account / minimum:.2f}x. One account after another made"
            f" {sum(sequential_calls.values()) / len(ids):.1f} requests per account.",
        ]
    )


if __name__ == "__main__":
    main()
