"""Benchmark: the primes workload through `tune` locally at 128, 256, 512 and 1024 MB, beside the classic table.

The classic table (a function computing the primes up to 1,000,000 many times, 1,000 invocations
per size on AWS Lambda): 11.72 s at 128 MB, 6.68 s at 256 MB, 3.19 s at 512 MB, 1.47 s at 1024 MB,
costing $0.024628, $0.028035, $0.026830 and $0.024638 per 1,000 invocations. Here the same kind of
work (a sieve up to 1,000,000, `--repeat` times) runs through the real CLI in a container of the
build image with Lambda's CPU share per size; this machine's CPU is not Lambda's, so the ratios
between sizes are what should match, not the seconds.

    DOCKER_HOST=... .venv/bin/python bench/tune.py [--base-image layer-builder-standin:bookworm]
        [--runtime python3.11] [--repeat 100] [--runs 2] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import _report
from _report import REPO, format_table

SIZES = (128, 256, 512, 1024)
CLASSIC = {
    128: (11.722965, 0.024628),
    256: (6.678945, 0.028035),
    512: (3.194954, 0.026830),
    1024: (1.465984, 0.024638),
}
APP = """
def primes(limit):
    sieve = bytearray([1]) * (limit + 1)
    sieve[0:2] = b"\\0\\0"
    for i in range(2, int(limit ** 0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytes(len(range(i * i, limit + 1, i)))
    return sum(sieve)

def handler(event, context):
    return [primes(1_000_000) for _ in range(event["repeat"])][-1]
"""


def run(args: argparse.Namespace) -> str:
    facts, load_start = _report.machine_facts(), _report.load_average()
    share = _report.CpuShare()
    with tempfile.TemporaryDirectory(prefix="bench-tune-") as tmp:
        code = Path(tmp) / "src"
        code.mkdir()
        (code / "app.py").write_text(APP)
        event = Path(tmp) / "event.json"
        event.write_text(json.dumps({"repeat": args.repeat}))
        argv = [
            sys.executable, "-m", "builder", "tune", "--handler", "app.handler", "--code", str(code),
            "-r", args.runtime, "-a", "x86_64", "--event", str(event), "--memory", ",".join(map(str, SIZES)),
            "--runs", str(args.runs), "--cold-starts", "1", "--json",
        ]  # fmt: skip
        if args.base_image:
            argv += ["--base-image", args.base_image]
        done = subprocess.run(
            argv, capture_output=True, text=True, cwd=REPO, env=dict(os.environ), check=False
        )
    if done.returncode != 0:
        raise SystemExit(f"tune failed ({done.returncode}):\n{done.stderr}")
    report = json.loads(done.stdout)
    rows = {row["memory_mb"]: row for row in report["sizes"]}
    base_lambda = CLASSIC[1024][0]
    base_local = rows[1024]["warm_median_ms"]
    table = []
    for size in SIZES:
        seconds, per_thousand = CLASSIC[size]
        local = rows[size]
        table.append(
            [
                f"{size:,}",
                f"{seconds:.2f} s",
                f"${per_thousand:.6f}",
                f"{seconds / base_lambda:.2f}",
                f"{local['warm_median_ms'] / 1000:.2f} s",
                f"${local['cost_per_invocation'] * 1000:.6f}",
                f"{local['warm_median_ms'] / base_local:.2f}",
                f"{local['init_ms']:.1f} ms",
            ]
        )
    grid = format_table(
        [
            "memory MB",
            "Lambda",
            "Lambda $/1000",
            "Lambda ÷ 1024 MB",
            "local",
            "local $/1000",
            "local ÷ 1024 MB",
            "local INIT",
        ],
        table,
        [True] * 8,
    )
    recs = report["recommendations"]
    return "\n".join(
        [
            "## Tune (bench/tune.py)",
            "",
            *_report.facts_lines(facts, load_start, _report.load_average(), share.others_cores()),
            f"- Workload: a sieve up to 1,000,000, {args.repeat} times per invocation; `tune` locally in the"
            f" {args.base_image or 'runtime build'} image ({args.runtime}), {args.runs} warm calls per size after one"
            " cold start; durations are the median warm call. Lambda columns: the classic published table.",
            f"- Costs: the shipped price list ({report['prices']['region']} {report['prices']['date']},"
            f" ${report['prices']['per_gb_second']} per GB-s); the ratios to 1024 MB are what should match.",
            "",
            grid,
            "",
            f"Recommendations here: cost {recs['cost']['memory_mb']} MB, speed {recs['speed']['memory_mb']} MB,"
            f" balanced {recs['balanced']['memory_mb']} MB.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--base-image", default=None, help="default: the runtime's build image")
    parser.add_argument("--runtime", default="python3.11")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    body = run(args)
    print(body)
    if not args.no_write:
        _report.update_section("tune", body)


if __name__ == "__main__":
    main()
