"""The check just before deleting: a plan narrowed to what a fresh plan of the same region still
deletes, unchanged. Never wider than the plan that was shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from builder.cleanup import plan
from builder.cleanup.model import Alias, FunctionRefs
from builder.cleanup.policy import Policy


def test_nothing_changed_deletes_exactly_the_plan(world):
    world.function("api", 4)
    world.layer("orphan", 3)
    before = world.plan(Policy(keep=1))
    checked = plan.recheck(before, world.plan(Policy(keep=1)))
    assert checked.plan.delete == before.delete and checked.dropped == ()


def test_a_version_that_became_protected_is_dropped_with_the_reason(world):
    world.function("api", 4)
    before = world.plan(Policy(keep=1))
    world.refs["api"] = FunctionRefs(aliases=(Alias(name="live", version="2"),))
    world.mappings = [world.functions["api"][0].arn]  # api:1
    checked = plan.recheck(before, world.plan(Policy(keep=1)))
    assert [item.label for item in checked.plan.delete] == ["api:3"]
    assert {kept.item.label: {r.rule for r in kept.reasons} for kept in checked.dropped} == {
        "api:1": {"event-source-mapping"},
        "api:2": {"alias"},
    }


def test_a_version_recreated_under_the_same_number_is_dropped(world):
    world.function("api", 3)
    before = world.plan(Policy(keep=1))
    # Deleted and created again: same ARNs, new dates (and here the same code).
    later = [replace(v, modified=v.modified + dt.timedelta(minutes=5)) for v in world.functions["api"]]
    world.functions["api"] = later
    checked = plan.recheck(before, world.plan(Policy(keep=1)))
    assert checked.plan.delete == ()
    assert {kept.reasons[0].rule for kept in checked.dropped} == {"changed"}
    assert "modified" in checked.dropped[0].reasons[0].text


def test_different_code_under_the_same_date_is_a_change_too(world):
    world.function("api", 2)
    before = world.plan(Policy(keep=1))
    world.functions["api"] = [replace(v, code_sha256="other") for v in world.functions["api"]]
    checked = plan.recheck(before, world.plan(Policy(keep=1)))
    assert checked.plan.delete == ()
    assert checked.dropped[0].reasons[0].text == "changed since the plan (its code is different)"


def test_a_version_gone_meanwhile_is_not_deleted_again(world):
    world.function("api", 3)
    before = world.plan(Policy(keep=1))
    world.functions["api"] = world.functions["api"][1:]  # someone deleted api:1
    checked = plan.recheck(before, world.plan(Policy(keep=1)))
    assert [item.label for item in checked.plan.delete] == ["api:2"]
    assert [(k.item.label, k.reasons[0].rule) for k in checked.dropped] == [("api:1", "gone")]


def test_never_widens_even_when_the_fresh_plan_would_delete_more(world):
    world.function("api", 6)
    every = world.functions["api"]
    world.functions["api"] = [*every[:3], every[-1]]  # versions 1-3 and $LATEST at plan time
    before = world.plan(Policy(keep=1))
    world.functions["api"] = every  # 4, 5 and 6 published meanwhile
    fresh = world.plan(Policy(keep=1))
    assert len(fresh.delete) > len(before.delete)
    checked = plan.recheck(before, fresh)
    assert {item.label for item in checked.plan.delete} == {"api:1", "api:2"}


def test_a_layer_version_is_dropped_when_one_of_its_users_stays(world):
    sci = world.layer("sci", 3)
    world.function("api", 3, layers={1: [sci[0]]})
    before = world.plan(Policy(keep=1))
    assert {"api:1", "sci:1"} <= world.deleted(before)
    world.refs["api"] = FunctionRefs(aliases=(Alias(name="live", version="1"),))
    checked = plan.recheck(before, world.plan(Policy(keep=1)))
    assert "sci:1" not in {item.label for item in checked.plan.delete}
    assert {k.item.label for k in checked.dropped} == {"api:1", "sci:1"}
    assert checked.plan.layer_users == {}
