"""Measurements -> priced rows -> a recommendation per strategy. Pure: numbers in, numbers out.

The strategies are those of AWS Lambda Power Tuning (https://github.com/alexcasalboni/aws-lambda-power-tuning):
`cost` is the cheapest size, `speed` the fastest, `balanced` the size that minimises
weight x cost / highest cost + (1 - weight) x duration / longest duration, so 1.0 is `cost` and
0.0 is `speed`. Only sizes measured as Lambda would run them are candidates: a size this machine
could not give its full CPU share, that ran out of memory or whose every call failed is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from builder.errors import ConfigError
from builder.tune.model import (
    DEFAULT_WEIGHT,
    STRATEGIES,
    Measurement,
    PriceInfo,
    Recommendation,
    Report,
    Row,
    Strategy,
    median,
    p90,
)
from builder.tune.prices import Prices


def check_weight(weight: float) -> float:
    if not 0.0 <= weight <= 1.0:
        raise ConfigError(
            f"--balanced-weight must be between 0 and 1, got {weight}",
            hint="1.0 weighs only cost, 0.0 only speed; 0.5 weighs both equally",
        )
    return weight


def price_rows(measurements: Sequence[Measurement], prices: Prices, arch: str) -> tuple[Row, ...]:
    rows = [_row(m, prices, arch) for m in sorted(measurements, key=lambda m: m.memory_mb)]
    candidates = [r for r in rows if r.comparable]
    if not candidates:
        return tuple(rows)
    cheapest = min(candidates, key=_cost_key).memory_mb
    fastest = min(candidates, key=_speed_key).memory_mb
    return tuple(
        replace(
            r,
            cheapest=r.comparable and r.memory_mb == cheapest,
            fastest=r.comparable and r.memory_mb == fastest,
        )
        for r in rows
    )


def _row(m: Measurement, prices: Prices, arch: str) -> Row:
    warm = m.warm_ms or m.first_ms  # without warm calls (one run each, all cold) the first ones
    warm_median = median(warm)
    init = median(m.init_ms)
    first = median(m.first_ms)
    cost = None if warm_median is None else prices.invocation_cost(warm_median, m.memory_mb, arch)
    cold = (
        None
        if first is None
        else prices.invocation_cost(first, m.memory_mb, arch, init_ms=init if init is not None else 0.0)
    )
    return Row(
        measurement=m,
        init_ms=init,
        warm_median_ms=warm_median,
        warm_p90_ms=p90(warm),
        cost_per_invocation=cost,
        cold_start_cost=cold,
    )


def _cost_key(row: Row) -> tuple[float, float, int]:
    return (row.cost_per_invocation or 0.0, row.warm_median_ms or 0.0, row.memory_mb)


def _speed_key(row: Row) -> tuple[float, float, int]:
    return (row.warm_median_ms or 0.0, row.cost_per_invocation or 0.0, row.memory_mb)


def recommend(rows: Sequence[Row], weight: float = DEFAULT_WEIGHT) -> tuple[Recommendation, ...]:
    check_weight(weight)
    candidates = [r for r in rows if r.comparable]
    return tuple(_one(strategy, candidates, weight) for strategy in STRATEGIES)


def _one(strategy: Strategy, candidates: list[Row], weight: float) -> Recommendation:
    if not candidates:
        return Recommendation(
            strategy=strategy,
            memory_mb=None,
            why="no size was measured as Lambda would run it",
            weight=weight if strategy == "balanced" else None,
        )
    if strategy == "cost":
        best = min(candidates, key=_cost_key)
        return Recommendation(
            strategy=strategy, memory_mb=best.memory_mb, why="the lowest cost per invocation"
        )
    if strategy == "speed":
        best = min(candidates, key=_speed_key)
        return Recommendation(strategy=strategy, memory_mb=best.memory_mb, why="the shortest median duration")
    top_cost = max(r.cost_per_invocation or 0.0 for r in candidates) or 1.0
    top_time = max(r.warm_median_ms or 0.0 for r in candidates) or 1.0

    def score(row: Row) -> tuple[float, int]:
        cost = (row.cost_per_invocation or 0.0) / top_cost
        time = (row.warm_median_ms or 0.0) / top_time
        return (weight * cost + (1 - weight) * time, row.memory_mb)

    best = min(candidates, key=score)
    return Recommendation(
        strategy=strategy,
        memory_mb=best.memory_mb,
        why=f"the lowest {weight:g} x cost + {1 - weight:g} x duration, each relative to the highest",
        weight=weight,
    )


def report(
    *,
    mode: Literal["local", "aws"],
    subject: str,
    arch: str,
    runtime: str,
    runs: int,
    measurements: Sequence[Measurement],
    prices: Prices,
    weight: float = DEFAULT_WEIGHT,
    notes: Sequence[str] = (),
) -> Report:
    rows = price_rows(measurements, prices, arch)
    info = PriceInfo(
        date=prices.date.isoformat(),
        region=prices.region,
        source=prices.source,
        per_gb_second=prices.per_gb_second(arch),
        request_per_million=prices.request_per_million,
        init_billed=prices.init_billed,
    )
    return Report(
        mode=mode,
        subject=subject,
        arch=arch,
        runtime=runtime,
        runs=runs,
        prices=info,
        rows=rows,
        recommendations=recommend(rows, weight),
        notes=tuple(notes),
    )
