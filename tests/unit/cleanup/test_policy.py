"""Prune policy validation and the keep marks."""

from __future__ import annotations

import datetime as dt

import pytest

from builder.cleanup.policy import MAX_OLDER_THAN_DAYS, Policy, has_keep_mark, keep_tag, patterns, split_list
from builder.errors import ConfigError


def test_keep_zero_is_refused_without_an_age_limit():
    with pytest.raises(ConfigError, match="--keep 0") as caught:
        Policy(keep=0)
    assert "--older-than" in (caught.value.hint or "")
    assert Policy(keep=0, older_than_days=14).keep == 0


def test_keep_zero_needs_an_age_of_at_least_a_day():
    with pytest.raises(ConfigError, match="--keep 0"):
        Policy(keep=0, older_than_days=0)
    assert Policy(keep=0, older_than_days=1).older_than_days == 1
    assert Policy(keep=1, older_than_days=0).older_than_days == 0  # with a kept version, 0 is fine


def test_the_largest_age_still_gives_a_cutoff():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert Policy(older_than_days=MAX_OLDER_THAN_DAYS).cutoff(now).year == 1926
    with pytest.raises(ConfigError, match="--older-than must be between 0 and 36500 days, got 740000"):
        Policy(older_than_days=740_000)


@pytest.mark.parametrize(
    "kwargs", [{"keep": -1}, {"older_than_days": -3}, {"target_usage": 0}, {"target_usage": 120}]
)
def test_out_of_range_values_are_refused(kwargs):
    with pytest.raises(ConfigError):
        Policy(**kwargs)


def test_without_patterns_everything_is_selected_with_patterns_only_matches():
    assert Policy().selects_function("anything") and Policy().selects_layer("sci")
    policy = Policy(functions=("api-*", "worker"))
    assert policy.selects_function("api-orders") and policy.selects_function("worker")
    assert not policy.selects_function("worker-2")
    assert not policy.selects_layer("sci")
    assert Policy(layers=("sci-*",)).selects_layer("sci-py312") and not Policy(
        layers=("sci-*",)
    ).selects_function("x")


def test_cutoff_is_days_before_now():
    now = dt.datetime(2026, 1, 31, tzinfo=dt.timezone.utc)
    assert Policy(keep=1, older_than_days=30).cutoff(now) == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert Policy().cutoff(now) is None


def test_keep_tag_values():
    assert keep_tag({}) is None
    assert keep_tag({"layer-builder:keep": "true"}).all_versions
    listed = keep_tag({"layer-builder:keep": "4,07 9"})
    assert not listed.all_versions and listed.versions == {"4", "7", "9"}
    # A value we cannot read is never taken as permission to delete.
    assert keep_tag({"layer-builder:keep": "until friday"}).all_versions


def test_keep_mark_in_layer_description():
    assert has_keep_mark("numpy 2.2 [layer-builder:keep] for prod")
    assert not has_keep_mark("numpy 2.2 layer-builder:keep")


def test_split_list_accepts_commas_and_repeats():
    assert split_list(["us-east-1,eu-west-1", " ap-south-1 ", ""]) == ("us-east-1", "eu-west-1", "ap-south-1")


def test_patterns_refuse_a_blank_part_and_split_the_rest():
    assert patterns(["api-*, worker", "sci"], "--functions") == ("api-*", "worker", "sci")
    assert patterns([], "--functions") == ()
    for values in ([""], [" "], [","], ["api-*,"], ["api-*", ""]):
        with pytest.raises(ConfigError, match="--functions got an empty pattern"):
            patterns(values, "--functions")
