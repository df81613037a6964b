"""What a sweep measured at each memory size, local or on AWS, and what the report says about it."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

# ok: measured; capped: this machine has less CPU than Lambda gives that size, so the times are
# an upper bound; oom: the function ran out of memory; error: the handler raised on every call;
# throttled: Lambda refused every invocation; stopped: the sweep ended before this size (Ctrl-C).
Status = Literal["ok", "capped", "oom", "error", "throttled", "stopped"]
Strategy = Literal["cost", "speed", "balanced"]
STRATEGIES: tuple[Strategy, ...] = ("cost", "speed", "balanced")
DEFAULT_WEIGHT = 0.5  # balanced: half cost, half speed (1.0 is "cost", 0.0 is "speed")


@dataclass(frozen=True, kw_only=True)
class Measurement:
    memory_mb: int
    vcpus: float  # the CPU share Lambda gives this size
    status: Status
    init_ms: tuple[float, ...] = ()  # one per cold start
    first_ms: tuple[float, ...] = ()  # the invocation right after each INIT
    warm_ms: tuple[float, ...] = ()
    max_memory_mb: float | None = None
    errors: int = 0  # invocations whose handler raised (counted, not timed)
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Row:
    """A measurement with its statistics and prices; None where nothing was measured."""

    measurement: Measurement
    init_ms: float | None  # median over the cold starts
    warm_median_ms: float | None
    warm_p90_ms: float | None
    cost_per_invocation: float | None  # a warm invocation of median duration
    cold_start_cost: float | None  # INIT plus the first invocation, when INIT is billed
    cheapest: bool = False
    fastest: bool = False

    @property
    def memory_mb(self) -> int:
        return self.measurement.memory_mb

    @property
    def comparable(self) -> bool:
        """Whether this size may be recommended: measured as Lambda would run it."""
        return self.measurement.status == "ok" and self.cost_per_invocation is not None

    @property
    def cost_per_million(self) -> float | None:
        return None if self.cost_per_invocation is None else self.cost_per_invocation * 1e6


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    strategy: Strategy
    memory_mb: int | None
    why: str
    weight: float | None = None  # balanced only


@dataclass(frozen=True, kw_only=True)
class PriceInfo:
    date: str
    region: str
    source: str
    per_gb_second: float
    request_per_million: float
    init_billed: bool


@dataclass(frozen=True, kw_only=True)
class Report:
    mode: Literal["local", "aws"]
    subject: str  # the handler, or the function's name and region
    arch: str
    runtime: str
    runs: int
    prices: PriceInfo
    rows: tuple[Row, ...]
    recommendations: tuple[Recommendation, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def recommended(self, strategy: Strategy) -> int | None:
        return next((r.memory_mb for r in self.recommendations if r.strategy == strategy), None)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: a value that was measured, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]
