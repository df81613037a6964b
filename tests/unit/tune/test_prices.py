"""The cost model against the classic table: 1,000 invocations of a primes function per size."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.errors import ConfigError
from builder.tune import prices

# memory MB -> (duration of one invocation in ms, cost of 1,000 invocations in $), as published
TABLE = {
    128: (11722.965, 0.024628),
    256: (6678.945, 0.028035),
    512: (3194.954, 0.026830),
    1024: (1465.984, 0.024638),
}


def _rounded_price_file(tmp_path: Path) -> Path:
    """The shipped file with the rounded price the table was computed with ($0.00001667)."""
    text = (Path(prices.__file__).parents[1] / "data" / prices.SHIPPED).read_text()
    path = tmp_path / "rounded.toml"
    path.write_text(text.replace("x86_64 = 0.0000166667", "x86_64 = 0.00001667"))
    return path


@pytest.mark.parametrize("memory", sorted(TABLE))
def test_the_shipped_prices_reproduce_the_table_to_the_cent_per_million(memory: int):
    duration, per_thousand = TABLE[memory]
    cost = prices.load().invocation_cost(duration, memory, "x86_64")
    assert abs(cost * 1e6 - per_thousand * 1000) < 0.01


@pytest.mark.parametrize("memory", sorted(TABLE))
def test_the_rounded_price_reproduces_the_table_exactly(memory: int, tmp_path: Path):
    duration, per_thousand = TABLE[memory]
    cost = prices.load(_rounded_price_file(tmp_path)).invocation_cost(duration, memory, "x86_64")
    assert round(cost * 1000, 6) == per_thousand


def test_the_shipped_file_holds_the_published_prices_and_rules():
    table = prices.load()
    assert table.per_gb_second("x86_64") == 0.0000166667
    assert table.per_gb_second("arm64") == 0.0000133334
    assert table.request_per_million == 0.20
    assert table.billing_granularity_ms == 1
    assert (table.min_mb, table.max_mb) == (128, 10240)
    assert table.init_billed and str(table.init_billed_since) == "2025-08-01"
    assert table.date.year >= 2026


def test_billing_rounds_up_to_the_millisecond_and_bills_init_when_the_rule_says_so(tmp_path: Path):
    table = prices.load()
    assert table.billed_ms(100.0) == 100
    assert table.billed_ms(100.01) == 101
    warm = table.invocation_cost(100.2, 1024, "x86_64")
    cold = table.invocation_cost(100.2, 1024, "x86_64", init_ms=400.0)
    assert cold == pytest.approx(table.invocation_cost(500.2, 1024, "x86_64"))
    assert warm < cold
    free_init = tmp_path / "free-init.toml"
    free_init.write_text(
        (Path(prices.__file__).parents[1] / "data" / prices.SHIPPED)
        .read_text()
        .replace("init_billed = true", "init_billed = false")
    )
    assert prices.load(free_init).invocation_cost(100.2, 1024, "x86_64", init_ms=400.0) == warm


def test_cpu_share_is_memory_over_1769_mb_within_six_vcpus():
    table = prices.load()
    assert table.vcpus(1769) == 1.0
    assert table.vcpus(128) == pytest.approx(0.0724, abs=1e-4)
    assert table.vcpus(10240) == pytest.approx(5.789, abs=1e-3)  # a share of the six vCPUs it sees


@pytest.mark.parametrize("size", [127, 10241, 0])
def test_a_size_outside_lambdas_range_is_refused(size: int):
    with pytest.raises(ConfigError, match=f"memory size {size} MB is outside Lambda's range"):
        prices.load().check_memory(size)


def test_a_price_file_with_an_unknown_key_or_a_missing_price_is_refused(tmp_path: Path):
    shipped = (Path(prices.__file__).parents[1] / "data" / prices.SHIPPED).read_text()
    typo = tmp_path / "typo.toml"
    typo.write_text(shipped.replace("request_per_million", "requests_per_million"))
    with pytest.raises(ConfigError, match="did you mean 'request_per_million'"):
        prices.load(typo)
    with pytest.raises(ConfigError, match="no GB-second price for arm64"):
        missing = tmp_path / "x86-only.toml"
        missing.write_text(shipped.replace("arm64 = 0.0000133334", ""))
        prices.load(missing).invocation_cost(10, 128, "arm64")
