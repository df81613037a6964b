"""The prune planner on in-memory regions: what is deleted, what is kept and why, what is read."""

from __future__ import annotations

from dataclasses import replace

import pytest

from builder.cleanup.model import AccountSettings, Alias
from builder.cleanup.policy import Policy


def test_latest_is_never_deleted_even_with_keep_zero(world):
    world.function("api", 3, age_days=400)
    plan = world.plan(Policy(keep=0, older_than_days=30))
    assert world.deleted(plan) == {"api:1", "api:2", "api:3"}
    assert "latest" in world.kept(plan, "api:$LATEST")


def test_newest_versions_are_counted_numerically_not_as_text(world):
    world.function("api", 12)
    plan = world.plan(Policy(keep=3))
    assert {"api:10", "api:11", "api:12"} <= {k.item.label for k in plan.keep}
    assert world.deleted(plan) == {f"api:{i}" for i in range(1, 10)}
    assert world.kept(plan, "api:12") == {"newest"}


def test_alias_target_and_routing_weights_are_kept(world):
    world.function("api", 8, aliases=(Alias(name="live", version="2", weights={"4": 0.1}),))
    plan = world.plan(Policy(keep=1))
    assert world.kept(plan, "api:2") == {"alias"}
    assert world.kept(plan, "api:4") == {"alias-routing"}
    assert world.deleted(plan) == {"api:1", "api:3", "api:5", "api:6", "api:7"}


def test_provisioned_concurrency_keeps_the_version(world):
    world.function("api", 5, provisioned=("2", "live"))
    plan = world.plan(Policy(keep=1))
    assert world.kept(plan, "api:2") == {"provisioned-concurrency"}
    assert "api:2" not in world.deleted(plan)


def test_event_source_mapping_on_a_qualified_arn_keeps_the_version(world):
    world.function("worker", 5)
    world.mappings = [
        "arn:aws:lambda:eu-west-1:123456789012:function:worker:2",
        "arn:aws:lambda:eu-west-1:123456789012:function:worker",  # unqualified: $LATEST
    ]
    plan = world.plan(Policy(keep=1))
    assert world.kept(plan, "worker:2") == {"event-source-mapping"}
    assert world.deleted(plan) == {"worker:1", "worker:3", "worker:4"}


def test_unreadable_event_source_mappings_keep_every_function_version_but_not_layers(world):
    world.layer("orphan", 4)
    world.function("worker", 5)
    world.mappings = None
    plan = world.plan(Policy(keep=1))
    assert not {label for label in world.deleted(plan) if label.startswith("worker")}
    assert world.kept(plan, "worker:1") == {"unreadable"}
    assert world.deleted(plan) == {"orphan:1", "orphan:2", "orphan:3"}
    assert [p.kind for p in plan.problems] == ["event-source-mappings"]


@pytest.mark.parametrize(
    ("value", "kept_versions"),
    [
        ("", {1, 2, 3, 4}),
        ("all", {1, 2, 3, 4}),
        ("2, 3", {2, 3}),
        ("3 1", {1, 3}),
        ("later maybe", {1, 2, 3, 4}),
    ],
)
def test_keep_tag_protects_all_or_the_listed_versions(world, value, kept_versions):
    world.function("api", 5, tags={"layer-builder:keep": value, "team": "x"})
    plan = world.plan(Policy(keep=1))
    assert world.deleted(plan) == {f"api:{i}" for i in range(1, 5) if i not in kept_versions}
    for i in kept_versions:
        assert world.kept(plan, f"api:{i}") == {"keep-tag"}


def test_layer_version_used_by_a_kept_function_version_is_kept(world):
    sci = world.layer("sci", 6)
    world.function("api", 3, layers={1: [sci[0]], 2: [sci[1]], 3: [sci[2]]})
    plan = world.plan(Policy(keep=2))
    # api:1 goes, so sci:1 is unused after this plan; sci:2 and sci:3 stay with api:2 and api:3.
    assert world.deleted(plan) == {"api:1", "sci:1", "sci:4"}
    assert world.kept(plan, "sci:2") == {"in-use"}
    assert world.kept(plan, "sci:5") == {"newest"}
    assert plan.layer_users == {sci[0]: ("arn:aws:lambda:eu-west-1:123456789012:function:api:1",)}


def test_layer_used_by_latest_or_by_an_unselected_function_is_kept(world):
    sci = world.layer("sci", 5)
    world.function("api", 2, latest_layers=[sci[0]])
    world.function("other", 1, layers={1: [sci[1]]})
    plan = world.plan(Policy(keep=1, functions=("api",), layers=("sci",)))
    assert world.kept(plan, "sci:1") == {"in-use"}  # api:$LATEST runs with it
    assert world.kept(plan, "sci:2") == {"in-use"}  # other:1 is not selected, so it stays
    assert world.deleted(plan) == {"api:1", "sci:3", "sci:4"}


def test_layers_newest_keep_mark_and_shared_versions_are_kept(world):
    arns = world.layer("sci", 6, marks=(2,))
    world.shared[arns[2]] = "111111111111"
    plan = world.plan(Policy(keep=2))
    assert world.kept(plan, "sci:2") == {"keep-mark"}
    assert world.kept(plan, "sci:3") == {"shared"}
    assert world.kept(plan, "sci:6") == {"newest"}
    assert world.deleted(plan) == {"sci:1", "sci:4"}


def test_unreadable_function_keeps_every_version_and_the_layers_it_uses(world):
    sci = world.layer("sci", 4)
    world.function("broken", 5, layers={1: [sci[0]]})
    world.function("fine", 5)
    world.ref_errors["broken"] = "ListAliases: TooManyRequestsException, still throttled after 6 attempts"
    plan = world.plan(Policy(keep=1))
    assert not any(label.startswith("broken") for label in world.deleted(plan))
    assert world.kept(plan, "broken:1") == {"unreadable"}
    assert world.kept(plan, "sci:1") == {"in-use"}
    assert {"fine:1", "fine:2", "fine:3", "fine:4"} <= world.deleted(plan)
    assert [(p.kind, p.name) for p in plan.problems] == [("function", "broken")]


def test_only_selected_functions_are_touched_and_layers_need_their_own_pattern(world):
    world.layer("sci", 5)
    world.function("api-a", 4)
    world.function("batch", 4)
    plan = world.plan(Policy(keep=1, functions=("api-*",)))
    assert world.deleted(plan) == {"api-a:1", "api-a:2", "api-a:3"}
    assert world.kept(plan, "batch:1") == {"not-selected"}
    assert world.kept(plan, "sci:1") == {"not-selected"}


def test_older_than_keeps_recent_versions(world):
    world.function("api", 10)  # version i is 11 - i days old
    plan = world.plan(Policy(keep=1, older_than_days=5))
    assert world.deleted(plan) == {f"api:{i}" for i in range(1, 7)}
    assert world.kept(plan, "api:7") == {"too-new"}


def test_edge_replicas_and_unnumbered_versions_are_kept(world):
    world.function("edge", 4)
    master = "arn:aws:lambda:us-east-1:123456789012:function:edge:1"
    world.functions["edge"][0] = replace(world.functions["edge"][0], master_arn=master)
    plan = world.plan(Policy(keep=1))
    assert world.kept(plan, "edge:1") == {"edge-replica"}
    assert world.deleted(plan) == {"edge:2", "edge:3"}


def test_references_are_read_only_for_functions_with_something_to_delete(world):
    world.function("small", 3)
    world.function("big", 6)
    world.function("tagged-out", 9)
    world.plan(Policy(keep=3, functions=("small", "big")))
    assert world.reads["functions"] == ["big"]


def test_layer_details_are_read_only_for_deletable_versions(world):
    sci = world.layer("sci", 5)
    world.function("api", 1, layers={1: [sci[0]]})
    world.plan(Policy(keep=2))
    assert world.reads["layers"] == [sci[1], sci[2]]


def test_target_usage_deletes_oldest_first_until_under_the_target(world):
    world.settings = AccountSettings(limit=10_000, usage=9_000)
    world.function("a", 10, size=500)  # a:1 is 10 days old ... a:10 is 1 day old
    world.layer("l", 5, size=700, age_days=20)
    plan = world.plan(Policy(keep=1, target_usage=70))
    # 9000 - 700*3 (layers l:1..l:3 are oldest) = 6900 <= 7000: enough.
    assert world.deleted(plan) == {"l:1", "l:2", "l:3"}
    assert world.kept(plan, "a:1") == {"target-reached"}
    assert plan.usage_after == 6_900


def test_target_usage_already_met_deletes_nothing(world):
    world.settings = AccountSettings(limit=10_000, usage=1_000)
    world.function("a", 5)
    plan = world.plan(Policy(keep=1, target_usage=50))
    assert plan.delete == ()
    assert world.kept(plan, "a:1") == {"target-reached"}


def test_target_usage_deletes_a_layer_only_after_the_function_versions_using_it(world):
    world.settings = AccountSettings(limit=10_000, usage=9_000)
    sci = world.layer("sci", 3, size=3_000, age_days=30)  # oldest, but used by a:1
    world.function("a", 3, size=100, layers={1: [sci[0]]})
    plan = world.plan(Policy(keep=2, target_usage=70))
    assert world.deleted(plan) == {"a:1", "sci:1"}
    assert plan.layer_users[sci[0]] == ("arn:aws:lambda:eu-west-1:123456789012:function:a:1",)
    assert [item.kind for item in plan.delete] == ["function", "layer"]


def test_computed_usage_is_labelled_when_account_settings_are_unavailable(world):
    world.settings = None
    world.function("a", 2, size=300)
    world.layer("l", 2, size=1_000)
    plan = world.plan(Policy(keep=1))
    assert not plan.usage.measured
    assert plan.usage.used == 3 * 300 + 2 * 1_000
    assert "GetAccountSettings unavailable" in plan.usage.note
    assert plan.usage.limit == 80_530_636_800


def test_the_plan_is_the_same_every_time(world):
    sci = world.layer("sci", 6)
    world.function(
        "a", 9, layers={i: [sci[i % 6]] for i in range(1, 10)}, aliases=(Alias(name="x", version="3"),)
    )
    assert world.plan(Policy(keep=2)) == world.plan(Policy(keep=2))
