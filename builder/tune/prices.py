"""The cost model: what one invocation costs at a memory size, from the price data file.

The numbers are data (builder/data/lambda-prices.toml, or --price-file for another region or a
Savings Plan); this module only reads and applies them:

    cost = ceil(duration to the billing step) x memory in GB x price per GB-second + price per request

with INIT added to the billed duration of a cold invocation when the file says INIT is billed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from builder import tomlload
from builder.errors import ConfigError
from builder.suggest import did_you_mean

SHIPPED = "lambda-prices.toml"
MB_PER_GB = 1024
KEYS = frozenset(
    {
        "version",
        "date",
        "region",
        "currency",
        "billing_granularity_ms",
        "request_per_million",
        "init_billed",
        "init_billed_since",
        "gb_second",
        "memory",
    }
)
MEMORY_KEYS = frozenset({"min_mb", "max_mb", "step_mb", "mb_per_vcpu", "max_vcpus"})


@dataclass(frozen=True, kw_only=True)
class Prices:
    """One price list: per GB-second by architecture, per request, and the rules around them."""

    date: dt.date
    region: str
    currency: str
    source: str  # the file it came from, for reports
    gb_second: dict[str, float]
    request_per_million: float
    billing_granularity_ms: int
    init_billed: bool
    init_billed_since: dt.date | None
    min_mb: int
    max_mb: int
    step_mb: int
    mb_per_vcpu: int
    max_vcpus: int

    def per_gb_second(self, arch: str) -> float:
        try:
            return self.gb_second[arch]
        except KeyError:
            raise ConfigError(
                f"the price file {self.source} has no GB-second price for {arch}",
                hint=f"add `{arch} = ...` under [gb_second]",
            ) from None

    def billed_ms(self, duration_ms: float) -> int:
        """Duration rounded up to the billing step (1 ms since December 2020)."""
        step = self.billing_granularity_ms
        return math.ceil(round(duration_ms, 6) / step) * step

    def invocation_cost(
        self, duration_ms: float, memory_mb: int, arch: str, *, init_ms: float | None = None
    ) -> float:
        """What one invocation costs; `init_ms` (a cold start's INIT) is billed with it when the rule says so."""
        billed = duration_ms + ((init_ms or 0.0) if self.init_billed else 0.0)
        seconds = self.billed_ms(billed) / 1000
        return seconds * memory_mb / MB_PER_GB * self.per_gb_second(arch) + self.request_per_million / 1e6

    def vcpus(self, memory_mb: int) -> float:
        """The CPU Lambda gives a function of this size: memory / 1,769 MB of one vCPU, at most six."""
        return min(memory_mb / self.mb_per_vcpu, float(self.max_vcpus))

    def check_memory(self, memory_mb: int) -> int:
        if not self.min_mb <= memory_mb <= self.max_mb or (memory_mb - self.min_mb) % self.step_mb:
            raise ConfigError(
                f"memory size {memory_mb} MB is outside Lambda's range ({self.min_mb} to {self.max_mb} MB"
                + (f" in steps of {self.step_mb} MB" if self.step_mb != 1 else "")
                + ")",
                hint="pass sizes in MB, e.g. --memory 128,256,512,1024,1769,3008",
            )
        return memory_mb


def load(path: Path | None = None) -> Prices:
    """The shipped price list, or the one at `path` (--price-file)."""
    if path is None:
        text = resources.files("builder.data").joinpath(SHIPPED).read_text(encoding="utf-8")
        source = f"builder/data/{SHIPPED}"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read the price file {path}: {exc.strerror}") from exc
        source = str(path)
    try:
        data = tomlload.loads(text)
    except tomlload.TOMLDecodeError as exc:
        raise ConfigError(f"{source} is not valid TOML: {exc}") from exc
    return parse(data, source)


def parse(data: dict[str, Any], source: str) -> Prices:
    _unknown(data, KEYS, source, "")
    memory = data.get("memory", {})
    _unknown(memory, MEMORY_KEYS, source, "memory.")
    try:
        since = data.get("init_billed_since")
        prices = Prices(
            date=_date(data["date"]),
            region=str(data.get("region", "")),
            currency=str(data.get("currency", "USD")),
            source=source,
            gb_second={str(k): float(v) for k, v in data["gb_second"].items()},
            request_per_million=float(data["request_per_million"]),
            billing_granularity_ms=int(data.get("billing_granularity_ms", 1)),
            init_billed=bool(data.get("init_billed", True)),
            init_billed_since=_date(since) if since is not None else None,
            min_mb=int(memory.get("min_mb", 128)),
            max_mb=int(memory.get("max_mb", 10240)),
            step_mb=int(memory.get("step_mb", 1)),
            mb_per_vcpu=int(memory.get("mb_per_vcpu", 1769)),
            max_vcpus=int(memory.get("max_vcpus", 6)),
        )
    except KeyError as exc:
        raise ConfigError(
            f"{source} lacks `{exc.args[0]}`", hint=f"start from the shipped builder/data/{SHIPPED}"
        ) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{source} has a value of the wrong type: {exc}") from None
    if prices.billing_granularity_ms < 1 or prices.min_mb < 1 or prices.mb_per_vcpu < 1:
        raise ConfigError(
            f"{source}: billing_granularity_ms, memory.min_mb and memory.mb_per_vcpu must be positive"
        )
    return prices


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _unknown(data: dict[str, Any], known: frozenset[str], source: str, prefix: str) -> None:
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{source}: unknown key `{prefix}{key}`{did_you_mean(key, sorted(known))}",
                hint=f"the keys are those of the shipped builder/data/{SHIPPED}",
            )
