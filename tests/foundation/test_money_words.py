"""Each way Penny shows an amount, by name (assistant.core.money), on fixed amounts.

Ties are the cases that tell rounding rules apart: 0.125 rounds half-up to 0.13 (an
invoice's rule), where Python's default half-even would give 0.12.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.core.money import (
    micro,
    micro_float,
    plain,
    usd,
    usd_change,
    usd_exact,
    usd_rate,
    usd_small,
)

D = Decimal


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1234.567"), "$1,234.57"),
        (D("0.125"), "$0.13"),
        (D("-500"), "-$500.00"),
        (D("-0.001"), "$0.00"),  # rounds to zero: no '-$0.00'
        ("12.5", "$12.50"),  # tool JSON carries exact strings
        (None, "n/a"),
        ("abc", "abc"),  # unreadable is shown as given, never as a made-up zero
    ],
)
def test_usd(value: object, text: str) -> None:
    assert usd(value) == text


def test_usd_signed_marks_only_increases() -> None:
    assert [usd(v, signed=True) for v in (D("12"), D("-3"), D("0"))] == [
        "+$12.00",
        "-$3.00",
        "$0.00",
    ]


def test_usd_change_always_has_a_direction() -> None:
    assert [usd_change(v) for v in (D("12"), D("-3.105"), D("0"), D("0.125"))] == [
        "+$12.00",
        "-$3.11",
        "+$0.00",
        "+$0.13",
    ]


def test_plain_is_usd_without_the_sign_of_the_currency() -> None:
    assert plain(D("1234.565")) == "1,234.57"
    assert plain(D("-0.125")) == "-0.13"


def test_usd_small_keeps_a_model_calls_cost_visible() -> None:
    assert usd_small(D("0.00123")) == "$0.0012"
    assert usd_small(D("0.00125")) == "$0.0013"
    assert usd_small(D("2.5")) == "$2.50"
    assert usd_small(None) == "unpriced"


def test_usd_exact_shows_every_digit_it_was_given() -> None:
    assert usd_exact(D("12.50")) == "$12.50"
    assert usd_exact(D("-0.0512")) == "-$0.0512"
    assert usd_exact(None) == "—"


def test_usd_rate_gives_four_significant_digits_under_a_dollar() -> None:
    assert usd_rate(D("0.0003412")) == "$0.0003412"
    assert usd_rate(D("0.05")) == "$0.05000"
    assert usd_rate(D("3.456")) == "$3.46"
    assert usd_rate(D("0")) == "$0.00"


def test_micro_rounds_only_past_six_places() -> None:
    assert micro({"a": [D("0.1234565"), D("1.5")]}) == {"a": [D("0.123457"), D("1.5")]}
    assert micro_float(D("0.1234565")) == 0.123457
