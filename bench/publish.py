"""Benchmark: publish one layer to 8 regions at once, next to the same regions one after another.

Runs `builder.publish.runner` (what `layer-builder publish` calls) against the moto server of the
integration tests, in the same run: concurrently (one thread per region, the default) and
sequentially (one worker), each on an emptied server so both do the same work. Counts every API
call per region with botocore event hooks. Writes the table into BENCHMARKS.md between the publish
markers.

    .venv/bin/python bench/publish.py [--regions 8] [--size 1000000] [--latency 0.1] [--runs 3]

The server runs in its own process (as AWS is not in ours), one with no added latency and one
that waits `--latency` seconds (100 ms by default) before answering each request. moto answers a
call in a few milliseconds of this machine's CPU; AWS answers over the network in tens to hundreds
of milliseconds, and that waiting is what publishing regions at once overlaps. The added latency
stands in for it; it is an assumption, not a measurement of AWS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import _report
from _report import REPO, format_table

REGIONS = [
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-1",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
    "eu-north-1",
    "ap-south-1",
    "eu-west-2",
]


class Calls:
    """API calls per region and operation, counted on every client builder.aws makes."""

    def __init__(self) -> None:
        self.by_region: dict[str, Counter[str]] = {}

    def install(self) -> None:
        from builder import aws

        real = aws.client

        def counted(account: Any, service: str, region: str, options: Any) -> Any:
            client = real(account, service, region, options)
            counter = self.by_region.setdefault(region, Counter())
            client.meta.events.register("before-call", lambda model, **_: counter.update([model.name]))
            return client

        aws.client = counted


def one_run(
    server: Any, session: Any, layers: Any, regions: list[str], workers: int, rerun: bool
) -> tuple[float, Calls]:
    """Publish to `regions` with `workers` threads on an emptied server; the seconds it took.

    rerun: publish once first (not timed), then time the second publish, which finds the content
    unchanged everywhere and publishes nothing."""
    from builder import accounts, aws
    from builder.publish import grants, runner
    from builder.publish.plan import Options
    from builder.runtimes import limits

    server.reset()
    os.environ["AWS_ENDPOINT_URL"] = server.url
    request = runner.Request(
        layers=layers,
        scope=accounts.Scope.of([None], regions, workers=workers, base_session=session),
        options=Options(
            grants=grants.requested(["210987654321"], public=False),
            create_bucket=False,
            keep_upload=False,
            direct_upload_zipped_bytes=limits().direct_upload_zipped_bytes,
        ),
    )
    if rerun:
        runner.publish_all(request, lambda *_: None)
    calls = Calls()
    real = aws.client
    calls.install()
    try:
        started = time.perf_counter()
        runs = runner.publish_all(request, lambda *_: None)
        seconds = time.perf_counter() - started
    finally:
        aws.client = real
    expected = "unchanged" if rerun else "published"
    statuses = {o.status for run in runs for o in runner.outcomes(run)}
    if statuses != {expected} or runner.failures(runs):
        raise SystemExit(f"bench: expected every region {expected}, got {statuses}: {runner.failures(runs)}")
    return seconds, calls


def measure(args: argparse.Namespace) -> str:
    sys.path.insert(0, str(REPO / "tests"))  # the tests' support package, as pytest's pythonpath has it
    from support import layerfiles, motoserver

    servers = {0.0: motoserver.ServerProcess(0.0), args.latency: motoserver.ServerProcess(args.latency)}
    os.environ.update(motoserver.fake_aws_env(None, "us-east-1"))
    from builder.publish import local

    regions = REGIONS[: args.regions]
    folder = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    layerfiles.write_layer(folder, content="bench", payload_bytes=args.size)
    layers = local.find("demo", folder, [])
    facts, load_start, share = _report.machine_facts(), _report.load_average(), _report.CpuShare()

    results: dict[tuple[str, float, str], list[float]] = {}
    calls: dict[str, Calls] = {}
    started = time.perf_counter()
    # One boto3 session for the script, as a long-lived process would have: botocore loads the STS,
    # Lambda and endpoint models into it once, in this warm-up, which a CLI run pays once too.
    import boto3

    session = boto3.Session()
    warm_up, _ = one_run(servers[0.0], session, layers, regions, len(regions), rerun=False)
    for latency in (0.0, args.latency):
        for scenario in ("first publish", "re-run, unchanged"):
            for _ in range(args.runs):  # alternate the modes so drift in the machine's load hits both
                for mode, workers in (("sequential", 1), ("concurrent", len(regions))):
                    seconds, counted = one_run(
                        servers[latency], session, layers, regions, workers, scenario != "first publish"
                    )
                    results.setdefault((scenario, latency, mode), []).append(seconds)
                    calls[scenario] = counted
    total = time.perf_counter() - started
    for server in servers.values():
        server.stop()
    return table(
        args, regions, layers[0], results, calls, facts, load_start, share.others_cores(), total, warm_up
    )


def table(
    args: argparse.Namespace,
    regions: list[str],
    layer: Any,
    results: dict[tuple[str, float, str], list[float]],
    calls: dict[str, Calls],
    facts: dict[str, str],
    load_start: float,
    others: float | None,
    total: float,
    warm_up: float,
) -> str:
    rows = []
    verdicts = []
    for scenario in ("first publish", "re-run, unchanged"):
        for latency in (0.0, args.latency):
            seq = statistics.median(results[(scenario, latency, "sequential")])
            con = statistics.median(results[(scenario, latency, "concurrent")])
            per_region = calls[scenario].by_region[regions[0]]
            # Each sequential run was followed by a concurrent one: their ratio, pair by pair.
            pairs = [
                a / b
                for a, b in zip(
                    results[(scenario, latency, "sequential")],
                    results[(scenario, latency, "concurrent")],
                    strict=True,
                )
            ]
            rows.append(
                [
                    scenario,
                    f"{latency * 1000:.0f} ms" if latency else "none",
                    f"{seq:.2f}",
                    f"{con:.2f}",
                    f"{seq / con:.1f}x",
                    f"{min(pairs):.1f}-{max(pairs):.1f}x",
                    str(sum(per_region.values())),
                ]
            )
            if latency and scenario == "first publish":
                verdicts.append(
                    f"target: {len(regions)} regions at once, first publish, {latency * 1000:.0f} ms per call: "
                    f"{seq / con:.1f}x faster than one after another: {'PASS' if seq / con >= 4 else 'FAIL'} (>= 4x)"
                )
    main = format_table(
        [
            "publish to 8 regions" if len(regions) == 8 else f"publish to {len(regions)} regions",
            "added latency per call",
            "sequential s",
            "concurrent s",
            "speedup (medians)",
            "speedup per run pair",
            "API calls per region",
        ],
        rows,
        [False, False, True, True, True, True, True],
    )
    ops = []
    for scenario in ("first publish", "re-run, unchanged"):
        by_region = calls[scenario].by_region
        counts = {region: by_region[region] for region in regions}
        same = all(c == counts[regions[0]] for c in counts.values())
        detail = ", ".join(f"{op} {n}" for op, n in sorted(counts[regions[0]].items()))
        ops.append(
            f"- {scenario}: {detail} per region{'' if same else ' (regions differ: ' + str(counts) + ')'}; plus one sts:GetCallerIdentity per account."
        )
    return "\n".join(
        [
            "## Publish (bench/publish.py)",
            "",
            *_report.facts_lines(facts, load_start, _report.load_average(), others),
            f"- Data: one layer ({layer.size:,}-byte zip, direct upload) shared with one account, published to"
            f" {len(regions)} regions ({', '.join(regions)}) by `builder.publish.runner` on the moto server of"
            " the integration tests; one worker per region (concurrent) against one worker in all (sequential),"
            f" alternating, each on an emptied server; median of {args.runs} runs each. Wall time includes"
            " opening the account (STS) and making the clients. One boto3 session serves the whole script:"
            f" the first publish in it (not in the table, no added latency, concurrent) took {warm_up:.2f} s,"
            " most of it botocore loading the STS and Lambda models, a cost a CLI run pays once on top.",
            f"- Latency: the server runs in its own process; moto answers in a few milliseconds of this machine's"
            f" CPU, so the rows with added latency have the server wait {args.latency * 1000:.0f} ms before every"
            " request, standing in for AWS's network round trip. That is an assumption, not a measurement of"
            " AWS. The rows without added latency are this machine's CPU alone (client and server share its"
            " 2 cores).",
            "",
            main,
            "",
            "Calls made (counted with botocore event hooks):",
            "",
            *ops,
            "",
            "```",
            *verdicts,
            "```",
            "",
            f"Script time: {total:.0f} s.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--regions", type=int, default=8, choices=range(1, len(REGIONS) + 1), metavar="N")
    parser.add_argument(
        "--size", type=int, default=1_000_000, help="bytes of layer payload (a direct upload)"
    )
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the server waits per request")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    body = measure(args)
    print(body)
    if not args.no_write:
        _report.update_section("publish", body)


if __name__ == "__main__":
    main()
