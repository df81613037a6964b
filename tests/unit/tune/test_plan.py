"""Checking a local tune request before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import ConfigError
from builder.runtimes import get_target
from builder.tune import plan, prices


def test_memory_sizes_are_parsed_sorted_and_deduplicated():
    assert plan.parse_memory(["1024,128", "512MB", "128"], prices.load()) == (128, 512, 1024)


@pytest.mark.parametrize(
    ("value", "message"), [("64", "outside Lambda's range"), ("20000", "outside"), ("1.5", "whole number")]
)
def test_bad_memory_sizes_are_refused(value: str, message: str):
    with pytest.raises(ConfigError, match=message):
        plan.parse_memory([value], prices.load())


def test_sizes_beyond_this_machines_cpus_are_capped():
    sizes = plan.plan_sizes((128, 1769, 3538, 3539, 10240), prices.load(), host_cpus=2.0)
    assert [s.capped for s in sizes] == [False, False, False, True, True]
    assert sizes[0].cpus == pytest.approx(128 / 1769)
    assert sizes[-1].cpus == 2.0 and sizes[-1].vcpus == pytest.approx(10240 / 1769)


@pytest.mark.parametrize("handler", ["app.handler", "pkg/app.main", "a.b.c"])
def test_lambda_handler_names_are_accepted(handler: str):
    assert plan.check_handler(handler) == handler


@pytest.mark.parametrize("handler", ["app", "app.", "app handler", "1app.handler"])
def test_other_handler_names_are_refused(handler: str):
    with pytest.raises(ConfigError, match=r"is not MODULE\.FUNCTION"):
        plan.check_handler(handler)


def test_an_event_that_is_not_json_is_refused(tmp_path: Path):
    event = tmp_path / "event.json"
    event.write_text("{'single': 'quotes'}")
    with pytest.raises(ConfigError, match="is not JSON"):
        plan.read_event(event)
    assert plan.read_event(None) == "{}"


def test_a_missing_built_layer_names_the_build_command(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"no built layer for scipy on python3\.12-x86_64") as caught:
        plan.layer_zips(tmp_path, ["scipy"], get_target("python3.12", "x86_64"))
    assert caught.value.hint is not None
    assert "layer-builder build scipy -r python3.12 -a x86_64" in caught.value.hint
