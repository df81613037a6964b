"""Recommendations per strategy on fixed numbers, and which sizes may be recommended at all."""

from __future__ import annotations

import pytest

from builder.errors import ConfigError
from builder.tune import analysis, prices
from builder.tune.model import Measurement, median, p90
from builder.tune.prices import Prices

# The classic table's durations: the cost is lowest at 128 MB (just), the speed best at 1024 MB.
CLASSIC = {128: 11722.965, 256: 6678.945, 512: 3194.954, 1024: 1465.984}


def _ok(memory: int, warm: float, **kw: object) -> Measurement:
    fields: dict[str, object] = {
        "memory_mb": memory,
        "vcpus": memory / 1769,
        "status": "ok",
        "init_ms": (300.0,),
        "first_ms": (warm,),
        "warm_ms": (warm,),
    }
    fields.update(kw)
    return Measurement(**fields)  # type: ignore[arg-type]


@pytest.fixture
def table() -> Prices:
    return prices.load()


def test_the_classic_table_cheapest_is_128_mb_and_fastest_1024_mb(table: Prices):
    rows = analysis.price_rows([_ok(m, d) for m, d in CLASSIC.items()], table, "x86_64")
    assert [r.memory_mb for r in rows if r.cheapest] == [128]
    assert [r.memory_mb for r in rows if r.fastest] == [1024]
    recs = {r.strategy: r.memory_mb for r in analysis.recommend(rows)}
    assert recs["cost"] == 128
    assert recs["speed"] == 1024
    # 1024 MB costs 0.04% more than 128 MB and is 8 times faster: balanced takes it
    assert recs["balanced"] == 1024


def test_the_balanced_weight_moves_between_speed_and_cost(table: Prices):
    # 256 MB: clearly cheaper than 1024 MB; 1024 MB: clearly faster.
    measured = [_ok(256, 1000.0), _ok(1024, 400.0)]
    rows = analysis.price_rows(measured, table, "x86_64")

    def balanced(weight: float) -> int | None:
        return next(r.memory_mb for r in analysis.recommend(rows, weight) if r.strategy == "balanced")

    assert balanced(1.0) == 256  # cost only
    assert balanced(0.0) == 1024  # speed only
    # normalised: 256 MB costs 0.625 of 1024 MB's and takes 1.0; 1024 MB costs 1.0 and takes 0.4
    assert balanced(0.5) == 1024  # 0.8125 vs 0.7
    assert balanced(0.7) == 256  # 0.7375 vs 0.82


def test_capped_out_of_memory_and_failing_sizes_are_never_recommended(table: Prices):
    measured = [
        _ok(128, 900.0, status="oom", warm_ms=(), first_ms=()),
        _ok(256, 500.0),
        _ok(512, 260.0, status="error", errors=3),
        _ok(4096, 10.0, status="capped"),
    ]
    rows = analysis.price_rows(measured, table, "x86_64")
    recs = analysis.recommend(rows)
    assert {r.memory_mb for r in recs} == {256}
    assert [r.memory_mb for r in rows if r.cheapest or r.fastest] == [256]


def test_without_any_comparable_size_nothing_is_recommended(table: Prices):
    rows = analysis.price_rows([_ok(4096, 10.0, status="capped")], table, "x86_64")
    assert all(r.memory_mb is None for r in analysis.recommend(rows))


def test_a_cold_start_costs_its_init_and_first_call(table: Prices):
    rows = analysis.price_rows([_ok(1024, 100.0, init_ms=(300.0, 500.0))], table, "x86_64")
    row = rows[0]
    assert row.init_ms == 400.0
    assert row.cold_start_cost == pytest.approx(table.invocation_cost(500.0, 1024, "x86_64"))
    assert row.cost_per_invocation == pytest.approx(table.invocation_cost(100.0, 1024, "x86_64"))


def test_statistics_are_the_median_and_a_measured_90th_percentile():
    values = [float(v) for v in range(1, 11)]
    assert median(values) == 5.5
    assert p90(values) == 9.0
    assert p90([7.0]) == 7.0
    assert median([]) is None and p90([]) is None


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_weight_outside_0_to_1_is_refused(weight: float):
    with pytest.raises(ConfigError, match="--balanced-weight must be between 0 and 1"):
        analysis.check_weight(weight)
