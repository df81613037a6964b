"""metrics.py with a fake CloudWatch client: batches of 500 queries, sums, errors, pagination."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from builder.cleanup import metrics

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)


class FakeCloudWatch:
    """GetMetricData through a paginator: `values` per function name, answered `per_page` results
    a page; `status` and `fail_calls` make queries or whole calls fail."""

    def __init__(
        self,
        values: Mapping[str, list[float]],
        *,
        per_page: int = 500,
        status: Mapping[str, str] | None = None,
        fail_calls: set[int] | None = None,
        drop: set[str] | None = None,
    ) -> None:
        self.values, self.per_page = values, per_page
        self.status = status or {}
        self.fail_calls = fail_calls or set()
        self.drop = drop or set()
        self.calls: list[dict[str, Any]] = []  # every request, pages included

    def get_paginator(self, name: str) -> FakeCloudWatch:
        assert name == "get_metric_data"
        return self

    def paginate(self, **request: Any) -> Iterator[dict[str, Any]]:
        call = len({id(c["MetricDataQueries"]) for c in self.calls})
        results = []
        for query in request["MetricDataQueries"]:
            [dimension] = query["MetricStat"]["Metric"]["Dimensions"]
            name = dimension["Value"]
            if name in self.drop:
                continue
            result: dict[str, Any] = {
                "Id": query["Id"],
                "Values": self.values.get(name, []),
                "StatusCode": self.status.get(name, "Complete"),
            }
            if name in self.status:
                result["Messages"] = [{"Code": "Err", "Value": "too many datapoints"}]
            results.append(result)
        token = None
        for start in range(0, max(len(results), 1), self.per_page):
            self.calls.append({**request, "NextToken": token})
            if call in self.fail_calls:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetMetricData")
            page = results[start : start + self.per_page]
            token = f"t{start + self.per_page}" if start + self.per_page < len(results) else None
            # CloudWatch marks every result on a page that has more pages after it PartialData.
            yield {
                "MetricDataResults": [
                    {**r, "StatusCode": "PartialData"} if token and r["StatusCode"] == "Complete" else r
                    for r in page
                ],
                **({"NextToken": token} if token else {}),
            }


def names(count: int) -> list[str]:
    return [f"fn{i:04d}" for i in range(count)]


def test_queries_are_batched_500_to_a_call():
    wanted = names(1201)
    cw = FakeCloudWatch({})
    found = metrics.read_invocations(cw, wanted, NOW, 90)
    sizes = [len(c["MetricDataQueries"]) for c in cw.calls]
    assert sizes == [500, 500, 201]
    assert found.counts == dict.fromkeys(wanted, 0.0)
    assert not found.errors
    first = cw.calls[0]
    assert first["StartTime"] == NOW - dt.timedelta(days=90) and first["EndTime"] == NOW
    stat = first["MetricDataQueries"][0]["MetricStat"]
    assert stat["Period"] == 90 * 86_400 and stat["Stat"] == "Sum"
    assert stat["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": "fn0000"}]
    # Ids are unique within a call and start with a letter, as GetMetricData requires.
    ids = [q["Id"] for q in cw.calls[1]["MetricDataQueries"]]
    assert len(set(ids)) == 500 and all(i[0].islower() for i in ids)


def test_every_value_of_a_query_is_summed():
    cw = FakeCloudWatch({"a": [3.0, 4.0], "b": [], "c": [0.0]})
    found = metrics.read_invocations(cw, ["a", "b", "c"], NOW, 30)
    assert found.counts == {"a": 7.0, "b": 0.0, "c": 0.0}


def test_an_error_status_makes_the_function_unreadable_not_unused():
    cw = FakeCloudWatch({"a": [1.0]}, status={"b": "InternalError", "c": "Forbidden"})
    found = metrics.read_invocations(cw, ["a", "b", "c"], NOW, 30)
    assert found.counts == {"a": 1.0}
    assert set(found.errors) == {"b", "c"}
    assert "InternalError" in found.errors["b"] and "too many datapoints" in found.errors["b"]


def test_a_query_without_a_result_is_unreadable():
    cw = FakeCloudWatch({}, drop={"b"})
    found = metrics.read_invocations(cw, ["a", "b"], NOW, 30)
    assert found.counts == {"a": 0.0}
    assert "no result" in found.errors["b"]


def test_a_failed_call_leaves_only_its_batch_unreadable():
    wanted = names(700)
    cw = FakeCloudWatch({"fn0600": [2.0]}, fail_calls={0})
    found = metrics.read_invocations(cw, wanted, NOW, 30)
    assert set(found.errors) == set(wanted[:500])
    assert all("AccessDenied" in e for e in found.errors.values())
    assert set(found.counts) == set(wanted[500:]) and found.counts["fn0600"] == 2.0


def test_results_on_later_pages_are_read_and_summed_across_pages():
    wanted = names(250)
    values = {name: [1.0, 1.0] for name in wanted}
    cw = FakeCloudWatch(values, per_page=100)
    found = metrics.read_invocations(cw, wanted, NOW, 30)
    assert [c["NextToken"] for c in cw.calls] == [None, "t100", "t200"]  # one call, three pages
    assert found.counts == dict.fromkeys(wanted, 2.0)
    assert not found.errors  # PartialData on the pages with more after them is no error


def test_no_functions_no_call():
    cw = FakeCloudWatch({})
    found = metrics.read_invocations(cw, [], NOW, 30)
    assert cw.calls == [] and not found.counts and not found.errors


class SplitPages:
    """CloudWatch giving one query's datapoints over two pages (same Id on both)."""

    def __init__(self) -> None:
        self.pages = 0

    def get_paginator(self, name: str) -> SplitPages:
        return self

    def paginate(self, **request: Any) -> Iterator[dict[str, Any]]:
        [query] = request["MetricDataQueries"]
        self.pages += 1
        yield {
            "MetricDataResults": [{"Id": query["Id"], "Values": [5.0], "StatusCode": "PartialData"}],
            "NextToken": "t1",
        }
        self.pages += 1
        yield {"MetricDataResults": [{"Id": query["Id"], "Values": [2.0, 1.0], "StatusCode": "Complete"}]}


def test_a_query_answered_over_two_pages_is_summed_over_both():
    cw = SplitPages()
    found = metrics.read_invocations(cw, ["a"], NOW, 30)
    assert cw.pages == 2
    assert found.counts == {"a": 8.0} and not found.errors
