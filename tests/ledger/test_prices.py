"""Pricing model calls: the formula, the shipped table, snapshots and effective dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import ConfigError
from assistant.ledger.prices import (
    ModelPrice,
    TokenCounts,
    cost_of,
    load_prices,
    parse_prices,
    price_call,
)
from assistant.ledger.usage import tokens_from_usage_metadata

# A table where every rate differs, so each bucket is visibly charged at its own rate.
TABLE = parse_prices("""
version = "test-1"
[[model]]
provider = "openai"
model = "m"
effective_from = "2025-01-01"
input = "2"
cached_input = "1"
cache_write = "3"
output = "8"
reasoning = "16"

[[model]]
provider = "openai"
model = "m"
effective_from = "2025-06-01"
input = "1"
cached_input = "0.5"
cache_write = "1.5"
output = "4"
reasoning = "8"
""")


def test_each_bucket_at_its_own_rate() -> None:
    t = TokenCounts(
        input=10_000, cached_input=3_000, cache_write=2_000, output=5_000, reasoning=1_000
    )
    price = TABLE.lookup("openai", "m", date(2025, 3, 1))
    assert price is not None
    # (5,000×2 + 3,000×1 + 2,000×3 + 4,000×8 + 1,000×16) / 1e6
    # = (10,000 + 3,000 + 6,000 + 32,000 + 16,000) / 1e6 = 0.067
    assert cost_of(price, t) == Decimal("0.067")


def test_effective_dates_pick_the_row_in_force() -> None:
    t = TokenCounts(input=1_000_000)
    # before the first row: no price; then 2 $/M; from 2025-06-01: 1 $/M
    assert price_call("openai", "m", t, date(2024, 12, 31), TABLE).cost is None
    assert price_call("openai", "m", t, date(2025, 5, 31), TABLE).cost == Decimal(2)
    assert price_call("openai", "m", t, date(2025, 6, 1), TABLE).cost == Decimal(1)


def test_snapshot_suffixes_match_but_other_models_do_not() -> None:
    table = load_prices()
    on = date(2026, 11, 1)
    assert table.lookup("openai", "gpt-4o-mini-2024-07-18", on).model == "gpt-4o-mini"
    assert table.lookup("openai", "gpt-4o-2024-08-06", on).model == "gpt-4o"
    assert table.lookup("anthropic", "claude-haiku-4-5-20251001", on).model == "claude-haiku-4-5"
    assert table.lookup("openai", "gpt-4o-audio-preview", on) is None  # not a snapshot
    assert table.lookup("anthropic", "gpt-4o", on) is None  # wrong provider
    assert table.lookup("openai-compatible", "gpt-4o", on).model == "gpt-4o"
    assert table.lookup("openai-compatible", "llama3.1:8b", on) is None


def test_shipped_table_known_rates() -> None:
    """gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per million (OpenAI list price)."""
    t = TokenCounts(input=2_000_000, cached_input=1_000_000, output=1_000_000)
    # 1,000,000×0.15 + 1,000,000×0.075 + 1,000,000×0.60 = 0.825 $ (÷1e6 per token)
    priced = price_call("openai", "gpt-4o-mini", t, date(2026, 11, 1))
    assert priced.cost == Decimal("0.825")
    assert priced.price_version == load_prices().version


def test_o3_price_cut_is_versioned_by_date() -> None:
    t = TokenCounts(input=1_000_000)
    assert price_call("openai", "o3", t, date(2025, 5, 1)).cost == Decimal(10)
    assert price_call("openai", "o3", t, date(2025, 7, 1)).cost == Decimal(2)


def test_unknown_model_costs_none_with_warning_never_zero() -> None:
    priced = price_call("openai", "gpt-99", TokenCounts(input=5), date(2026, 1, 1))
    assert priced.cost is None
    assert priced.warning is not None and "No price for openai:gpt-99" in priced.warning


def test_anthropic_usage_metadata_is_normalised_by_langchain() -> None:
    # LangChain adds Anthropic's cache tokens back: 62,000 = 2,000 + 50,000 + 10,000
    meta = {
        "input_tokens": 62_000,
        "output_tokens": 1_000,
        "input_token_details": {
            "cache_read": 50_000,
            "cache_creation": 0,
            "ephemeral_5m_input_tokens": 10_000,
            "ephemeral_1h_input_tokens": 0,
        },
    }
    t = tokens_from_usage_metadata(meta)
    assert (t.input, t.cached_input, t.cache_write, t.uncached_input) == (
        62_000,
        50_000,
        10_000,
        2_000,
    )


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="exceed the prompt"):
        TokenCounts(input=10, cached_input=8, cache_write=5)
    with pytest.raises(ValueError, match="reasoning tokens"):
        TokenCounts(output=1, reasoning=2)


def test_bad_table_names_the_row_and_field() -> None:
    with pytest.raises(ConfigError, match="model #1 lacks field 'reasoning'"):
        parse_prices(
            'version = "x"\n[[model]]\nprovider="openai"\nmodel="a"\n'
            'effective_from="2025-01-01"\ninput="1"\ncached_input="1"\n'
            'cache_write="1"\noutput="1"\n'
        )
    with pytest.raises(ConfigError, match="'version'"):
        parse_prices("[[model]]\n")


PRICE = ModelPrice(
    "openai",
    "p",
    date(2025, 1, 1),
    Decimal("2.5"),
    Decimal("1.25"),
    Decimal("3.75"),
    Decimal("10"),
    Decimal("10"),
)


@given(
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.integers(0, 10**7),
    st.integers(0, 10**7),
)
def test_caching_never_costs_more_than_uncached_and_is_additive(
    uncached: int, cached: int, written: int, visible: int, reasoning: int
) -> None:
    """Invariants: cost ≥ 0; moving prompt tokens into the cache never raises the cost
    when cached_input ≤ input; the cost of a call is the sum of its buckets' costs."""
    t = TokenCounts(
        input=uncached + cached + written,
        cached_input=cached,
        cache_write=written,
        output=visible + reasoning,
        reasoning=reasoning,
    )
    c = cost_of(PRICE, t)
    assert c >= 0
    no_read_cache = TokenCounts(
        input=t.input, cache_write=written, output=t.output, reasoning=reasoning
    )
    assert c <= cost_of(PRICE, no_read_cache)
    parts = (
        cost_of(PRICE, TokenCounts(input=uncached))
        + cost_of(PRICE, TokenCounts(input=cached, cached_input=cached))
        + cost_of(PRICE, TokenCounts(input=written, cache_write=written))
        + cost_of(PRICE, TokenCounts(output=visible))
        + cost_of(PRICE, TokenCounts(output=reasoning, reasoning=reasoning))
    )
    assert c == parts
