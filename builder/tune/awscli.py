"""`tune --function`: the AWS side of the command, between parsing and rendering.

Opens the account, hands the sweep its two clients, turns Ctrl-C into a stop event (the sweep
finishes the calls in flight, then deletes its versions and restores the memory before exiting
130), and applies the recommendation when asked.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from botocore.config import Config

from builder import aws, interrupts
from builder.console import err_console
from builder.errors import ConfigError, Interrupted
from builder.tune import analysis, plan
from builder.tune.model import Report, Strategy
from builder.tune.prices import Prices
from builder.tune.sweep import Sweep, SweepRequest, read_function

# Invoke waits for the function: up to its 900 s maximum timeout, and a little more.
INVOKE_READ_TIMEOUT = 910


def invoke_client(account: aws.Account, region: str) -> Any:
    """A Lambda client for Invoke only, without botocore's retries: the sweep counts throttles itself."""
    # Standard mode, not adaptive: adaptive's client-side rate limiter would add its own waits
    # after a throttle, on top of the sweep's backoff.
    config = aws.client_config(aws.AwsOptions()).merge(
        Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            read_timeout=INVOKE_READ_TIMEOUT,
            connect_timeout=10,
        )
    )
    return account.session.client("lambda", region_name=region, config=config)


def run(
    function: str,
    region: str | None,
    profile: str | None,
    payload: Path | None,
    parallel: int,
    strategy: Strategy,
    apply: bool,
    sizes: tuple[int, ...],
    runs: int,
    prices: Prices,
    weight: float,
) -> Report:
    session = aws.base_session(profile)
    where = aws.regions_or_default([region] if region else [], session, os.environ.get("AWS_REGION"))[0]
    request = SweepRequest(
        function=function,
        memory=sizes,
        runs=runs,
        parallel=min(parallel, runs),
        payload=plan.read_event(payload).encode("utf-8"),
    )
    options = aws.AwsOptions()
    account = aws.open_account(None, where, options, session)
    control = aws.client(account, "lambda", where, options)
    original = read_function(control, function)
    stop = threading.Event()
    sweep = Sweep(control, invoke_client(account, where), request, prices, stop, _notify)
    # Calls in flight finish, no new size starts, and the cleanup runs to the end (a second Ctrl-C
    # does not cut it short).
    with interrupts.stop_on_interrupt(
        stop,
        "[yellow]stopping[/yellow]: finishing calls in flight, then cleaning up",
        again="[yellow]still cleaning up[/yellow]: deleting tune's versions, restoring memory",
    ):
        outcome = sweep.run(original)
    err_console.print(f"cleanup: {outcome.cleanup.summary(original)}", markup=False)
    notes = [f"{original.name} in {where}: {outcome.cleanup.summary(original)}"]
    if outcome.throttles:
        notes.append(f"{outcome.throttles} invocations were throttled and retried")
    if outcome.interrupted:
        raise Interrupted(
            f"interrupted: {outcome.cleanup.summary(original)}; nothing else was changed",
            hint="run tune again to measure every size",
        )
    if outcome.cleanup.failed or not outcome.cleanup.restored:
        from builder.errors import AwsError

        raise AwsError(
            f"the sweep could not put everything back: {outcome.cleanup.summary(original)}",
            hint="delete the versions named above and check the function's memory by hand",
        )
    report = analysis.report(
        mode="aws",
        subject=f"{original.name} ({where})",
        arch=original.arch,
        runtime=original.runtime,
        runs=runs,
        measurements=outcome.measurements,
        prices=prices,
        weight=weight,
        notes=notes,
    )
    if apply:
        _apply(sweep, original, report, strategy)
    return report


def _apply(sweep: Sweep, original: Any, report: Report, strategy: Strategy) -> None:
    chosen = report.recommended(strategy)
    if chosen is None:
        raise ConfigError(
            f"--apply: no size to recommend for {strategy}", hint="see the table: no size was measured"
        )
    sweep.apply(original, chosen)
    err_console.print(f"applied: {original.name} now has {chosen} MB ({strategy})", markup=False)


def _notify(text: str) -> None:
    err_console.print(text, markup=False)
