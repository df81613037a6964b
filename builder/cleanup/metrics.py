"""How often each function was invoked in a window: CloudWatch's AWS/Lambda Invocations, summed.

One GetMetricData call answers up to 500 queries
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html), so a
region of 2,000 functions costs four calls, not 2,000.

The query names the metric with the FunctionName dimension alone. Lambda publishes Invocations
three ways: by FunctionName (every invocation of the function, whichever version or alias was
called), by FunctionName and Resource (the qualifier that was called) and by FunctionName, Resource
and ExecutedVersion. CloudWatch matches dimensions exactly, so the FunctionName-only series is the
one that counts unqualified, version and alias invocations together
(https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#invocation-metrics).

The period is the whole window (a multiple of a day, hence of the hour CloudWatch needs for data
older than 63 days), so each query returns one or two datapoints and every value is summed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from builder.aws import describe
from builder.cleanup.model import Invocations

BATCH = 500  # GetMetricData's limit on queries per call
NAMESPACE = "AWS/Lambda"
METRIC = "Invocations"
_GOOD = frozenset({"Complete", "PartialData"})  # PartialData: more pages follow (NextToken)


def queries(names: Sequence[str], days: int) -> list[dict[str, Any]]:
    """One Sum query per function, Id q<index> (an Id must start with a lower-case letter)."""
    return [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": METRIC,
                    "Dimensions": [{"Name": "FunctionName", "Value": name}],
                },
                "Period": days * 86_400,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for index, name in enumerate(names)
    ]


def read_invocations(cw: Any, names: Sequence[str], now: dt.datetime, days: int) -> Invocations:
    """Invocations of each named function in the `days` before `now`. A batch whose call fails, or
    a query CloudWatch answers with an error status, leaves its functions in `errors`."""
    counts: dict[str, float] = {}
    errors: dict[str, str] = {}
    start = now - dt.timedelta(days=days)
    for offset in range(0, len(names), BATCH):
        batch = list(names[offset : offset + BATCH])
        try:
            sums, failed = _batch(cw, batch, start, now, days)
        except (ClientError, BotoCoreError) as exc:
            errors.update(dict.fromkeys(batch, f"invocation metrics: {describe(exc)}"))
            continue
        counts.update(sums)
        errors.update(failed)
    return Invocations(days=days, counts=counts, errors=errors)


def _batch(
    cw: Any, names: list[str], start: dt.datetime, end: dt.datetime, days: int
) -> tuple[dict[str, float], dict[str, str]]:
    by_id = {f"q{index}": name for index, name in enumerate(names)}
    sums = dict.fromkeys(names, 0.0)
    seen: set[str] = set()
    failed: dict[str, str] = {}
    pages = cw.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries(names, days), StartTime=start, EndTime=end
    )
    for page in pages:
        for result in page.get("MetricDataResults", []):
            name = by_id.get(str(result.get("Id")))
            if name is None:
                continue
            seen.add(name)
            status = str(result.get("StatusCode") or "Complete")
            if status not in _GOOD:
                messages = "; ".join(str(m.get("Value")) for m in result.get("Messages") or [])
                failed[name] = f"invocation metrics: {status}" + (f" ({messages})" if messages else "")
            sums[name] += sum(float(value) for value in result.get("Values") or [])
    # A query CloudWatch did not answer at all is not "zero invocations".
    for name in names:
        if name not in seen:
            failed.setdefault(name, "invocation metrics: CloudWatch returned no result for the query")
    return {name: sums[name] for name in names if name not in failed}, failed
