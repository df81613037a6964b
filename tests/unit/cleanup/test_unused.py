"""unused.py on in-memory regions: which unused functions go whole, and every rule that keeps one."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from botocore.exceptions import ClientError

from builder.cleanup import inventory, plan, unused
from builder.cleanup.model import FunctionRefs, FunctionVersion, Invocations, Listing
from builder.cleanup.plan import WHOLE, FunctionPlan
from builder.cleanup.policy import KEEP_TAG, Policy

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
ACCOUNT = "123456789012"
REGION = "eu-west-1"
DAYS = 90


def arn(name: str, version: str | None = None) -> str:
    base = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{base}:{version}" if version is not None else base


def versions(name: str, ages: Sequence[int], latest_age: int | None = None) -> tuple[FunctionVersion, ...]:
    """$LATEST (modified `latest_age` days ago, else as old as the oldest) and versions 1.. aged
    `ages` days."""
    found = [
        FunctionVersion(
            function=name,
            version="$LATEST",
            arn=arn(name, "$LATEST"),
            code_size=100,
            modified=NOW
            - dt.timedelta(days=latest_age if latest_age is not None else max(ages, default=400)),
            runtime="python3.12",
        )
    ]
    found += [
        FunctionVersion(
            function=name,
            version=str(i),
            arn=arn(name, str(i)),
            code_size=10 * i,
            modified=NOW - dt.timedelta(days=age),
            code_sha256=f"sha{i}",
            runtime="python3.12",
        )
        for i, age in enumerate(ages, start=1)
    ]
    return tuple(found)


def listing(
    functions: Mapping[str, tuple[FunctionVersion, ...]], mappings: tuple[str, ...] | None = ()
) -> Listing:
    return Listing(
        account=ACCOUNT,
        region=REGION,
        functions=dict(functions),
        layers={},
        mappings=mappings,
        mappings_error=None if mappings is not None else "AccessDenied",
    )


def whole_refs(**kw: Any) -> FunctionRefs:
    """References as read for a candidate to delete whole: URLs and invokers read (none)."""
    return FunctionRefs(urls=kw.pop("urls", ()), invokers=kw.pop("invokers", ()), **kw)


def judge(
    found: Listing,
    counts: Mapping[str, float],
    refs: Mapping[str, FunctionRefs] | None = None,
    *,
    policy: Policy | None = None,
    errors: Mapping[str, str] | None = None,
    ref_errors: Mapping[str, str] | None = None,
) -> FunctionPlan:
    policy = policy or Policy(unused_days=DAYS, delete_unused=True)
    invocations = Invocations(days=DAYS, counts=dict(counts), errors=dict(errors or {}))
    if refs is None:
        refs = {name: whole_refs() for name in unused.refs_to_read(found, invocations, policy)}
    functions = plan.plan_functions(found, refs, dict(ref_errors or {}), policy, NOW)
    return unused.plan_unused(found, invocations, refs, dict(ref_errors or {}), policy, NOW, functions)


def rules(result: FunctionPlan, name: str) -> set[str]:
    [found] = [u for u in result.unused if u.name == name]
    return {reason.rule for reason in found.reasons}


def whole_candidates(result: FunctionPlan) -> set[str]:
    return {item.name for item in result.candidates if item.version == WHOLE}


def test_an_old_unused_function_goes_whole_with_every_version():
    found = listing({"old": versions("old", [400, 300, 200]), "busy": versions("busy", [400])})
    result = judge(found, {"old": 0, "busy": 12})
    assert whole_candidates(result) == {"old"}
    assert rules(result, "old") == set()
    assert set(result.whole[arn("old")]) == {arn("old", v) for v in ("$LATEST", "1", "2", "3")}
    # Its versions are no longer candidates (or kept) one by one.
    assert not [c for c in result.candidates if c.name == "old" and c.version != WHOLE]
    assert not [k for k in result.kept if k.item.name == "old"]
    # The invoked one is not listed as unused; its count is kept for the re-check.
    assert [u.name for u in result.unused] == ["old"]
    assert result.invoked == {arn("busy"): 12}
    [item] = [c for c in result.candidates if c.version == WHOLE]
    assert item.size == 100 + 10 + 20 + 30


def test_a_function_younger_than_the_window_is_kept_too_young():
    found = listing({"new": versions("new", [30, 10])})
    result = judge(found, {"new": 0})
    assert rules(result, "new") == {"too-young"}
    assert whole_candidates(result) == set()
    assert [k.item.name for k in result.kept if k.item.version == WHOLE] == ["new"]


def test_a_function_changed_inside_the_window_is_kept_changed_recently():
    found = listing({"dev": versions("dev", [400, 300], latest_age=5)})
    assert rules(judge(found, {"dev": 0}), "dev") == {"changed-recently"}


def test_a_function_url_keeps_it():
    found = listing({"web": versions("web", [400])})
    result = judge(found, {"web": 0}, {"web": whole_refs(urls=("$LATEST",))})
    assert rules(result, "web") == {"function-url"}
    assert whole_candidates(result) == set()


def test_an_invoke_permission_keeps_it():
    found = listing({"hook": versions("hook", [400])})
    result = judge(found, {"hook": 0}, {"hook": whole_refs(invokers=("events.amazonaws.com",))})
    assert rules(result, "hook") == {"invoke-permission"}


def test_a_cloudformation_stack_tag_names_the_stack_to_delete_instead():
    found = listing({"stacked": versions("stacked", [400])})
    result = judge(found, {"stacked": 0}, {"stacked": whole_refs(tags={unused.STACK_TAG: "my-stack"})})
    [reason] = next(u for u in result.unused if u.name == "stacked").reasons
    assert reason.rule == "cloudformation"
    assert "my-stack" in reason.text


def test_the_keep_tag_keeps_it_whatever_its_value():
    found = listing({"keep": versions("keep", [400])})
    result = judge(found, {"keep": 0}, {"keep": whole_refs(tags={KEEP_TAG: "false"})})
    assert rules(result, "keep") == {"keep-tag"}


def test_provisioned_concurrency_and_an_event_source_mapping_keep_it():
    found = listing({"q": versions("q", [400]), "pc": versions("pc", [400])}, mappings=(arn("q", "1"),))
    result = judge(found, {"q": 0, "pc": 0}, {"q": whole_refs(), "pc": whole_refs(provisioned=("1",))})
    assert rules(result, "q") == {"event-source-mapping"}
    assert rules(result, "pc") == {"provisioned-concurrency"}


def test_functions_filter_looks_only_at_the_selected_functions():
    found = listing({"api-old": versions("api-old", [400]), "etl-old": versions("etl-old", [400])})
    policy = Policy(unused_days=DAYS, delete_unused=True, functions=("api-*",))
    assert unused.metrics_to_read(found, policy) == ["api-old"]
    result = judge(found, {"api-old": 0}, policy=policy)
    assert whole_candidates(result) == {"api-old"}
    assert [u.name for u in result.unused] == ["api-old"]


def test_unreadable_metrics_keep_it_and_are_a_problem():
    found = listing({"dark": versions("dark", [400])})
    invocations = Invocations(days=DAYS, errors={"dark": "invocation metrics: AccessDenied"})
    policy = Policy(unused_days=DAYS, delete_unused=True)
    assert unused.refs_to_read(found, invocations, policy) == []  # never taken as unused
    result = judge(found, {}, {}, errors={"dark": "invocation metrics: AccessDenied"})
    assert whole_candidates(result) == set()
    [kept] = [k for k in result.kept if k.item.version == WHOLE]
    assert [r.rule for r in kept.reasons] == ["unreadable"]
    assert [(p.kind, p.name) for p in result.problems] == [("metrics", "dark")]


def test_unreadable_references_or_mappings_keep_it():
    found = listing({"a": versions("a", [400]), "b": versions("b", [400])}, mappings=None)
    result = judge(found, {"a": 0, "b": 0}, {"b": whole_refs()}, ref_errors={"a": "ListTags: AccessDenied"})
    assert rules(result, "a") == {"unreadable"}
    assert rules(result, "b") == {"unreadable"}  # the event source mappings could not be listed
    # References read without URLs and invokers (not as a whole candidate) prove nothing either.
    found = listing({"c": versions("c", [400])})
    assert rules(judge(found, {"c": 0}, {"c": FunctionRefs()}), "c") == {"unreadable"}


def test_report_only_lists_the_unused_function_and_deletes_nothing():
    found = listing({"old": versions("old", [400])})
    result = judge(found, {"old": 0}, policy=Policy(unused_days=DAYS))
    assert rules(result, "old") == {"report-only"}
    assert whole_candidates(result) == set()


def test_no_window_reads_no_metrics():
    found = listing({"old": versions("old", [400])})
    assert unused.metrics_to_read(found, Policy()) == []


# ---- who a resource-based policy lets invoke: services and other accounts, never the own -------


class PolicyLambda:
    """GetPolicy of one function and its aliases, by qualifier (None: the function's own)."""

    def __init__(self, policies: Mapping[str | None, list[dict[str, Any]] | None]) -> None:
        self.policies = policies

    def get_policy(self, FunctionName: str, Qualifier: str | None = None) -> dict[str, Any]:
        statements = self.policies.get(Qualifier)
        if statements is None:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "none"}}, "GetPolicy"
            )
        return {"Policy": json.dumps({"Version": "2012-10-17", "Statement": statements})}


def allow(principal: Any, effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Action": "lambda:InvokeFunction", "Principal": principal}


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ({"Service": "s3.amazonaws.com"}, {"s3.amazonaws.com"}),
        ({"AWS": "arn:aws:iam::210987654321:root"}, {"arn:aws:iam::210987654321:root"}),
        ("*", {"anyone"}),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, set()),  # the own account: its calls are counted
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/worker"}, set()),
    ],
)
def test_invokers_count_services_and_other_accounts_not_the_own(principal: Any, expected: set[str]):
    lam = PolicyLambda({None: [allow(principal)]})
    assert inventory._invokers(lam, "fn", None, ACCOUNT) == expected


def test_invokers_of_an_alias_say_so_and_deny_statements_and_no_policy_count_nothing():
    lam = PolicyLambda(
        {"live": [allow({"Service": "apigateway.amazonaws.com"})], "old": [allow("*", "Deny")]}
    )
    assert inventory._invokers(lam, "fn", "live", ACCOUNT) == {"apigateway.amazonaws.com (alias live)"}
    assert inventory._invokers(lam, "fn", "old", ACCOUNT) == set()
    assert inventory._invokers(lam, "fn", None, ACCOUNT) == set()
