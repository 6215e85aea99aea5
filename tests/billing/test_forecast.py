"""The month forecast: one function for the bill, budgets and cost_forecast.

Warehouse: tests/billing/bill_rows.two_months with November cut at 240 h, 'now' pinned
to 2026-11-11 00:00. Per hour in November without the GPU job: web 0.048 + api 0.12 +
idle 0.20 + 0.048 + EKS 0.10 + NAT 0.0625 = 0.5785, i.e. 13.884 a day; the GPU job adds
1600.00 over hours 100..199 (Nov 5 04:00 .. Nov 9 08:00): Nov 5 +320, Nov 6..8 +384 each,
Nov 9 +128.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from assistant.billing.explain import explain_bill
from assistant.billing.forecast import cost_forecast, forecast_month, month_forecast
from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.errors import DataGap
from assistant.warehouse.db import reader, writer
from assistant.windows import Window, month_window
from tests.billing.bill_rows import two_months

NOV = month_window(2026, 11)
CENT = D("0.01")


@pytest.fixture
def nov10(penny_env: object) -> Settings:
    s = load_settings(now=datetime(2026, 11, 11))
    with writer(s) as con:
        two_months(con, november_hours=240)
    return s


def test_range_uses_the_cheapest_and_dearest_recent_day(nov10: Settings) -> None:
    with reader(nov10) as con:
        f, covered = month_forecast(con, NOV, now=datetime(2026, 11, 11), scope=Scope.everything())
    assert f is not None and covered == Window(datetime(2026, 11, 1), datetime(2026, 11, 11))
    # last 7 complete days Nov 4..10: cheapest 13.884 (Nov 4), dearest 13.884 + 384 = 397.884
    # MTD 1653.84; low = 1653.84 + 20 × 13.884 = 1931.52; high = 1653.84 + 20 × 397.884
    assert f.forecast.quantize(CENT) == D("6502.95")
    assert (f.low, f.high) == (D("1931.52"), D("9611.52"))
    assert "range: the cheapest and dearest" in f.method


def test_the_bill_shows_the_same_forecast(nov10: Settings) -> None:
    with reader(nov10) as con:
        x = explain_bill(con, NOV, scope=Scope.everything(), settings=nov10)
        r = cost_forecast(con, NOV, settings=nov10, scope=Scope.everything())
    assert x.forecast == r.forecast
    assert r.actual == D("1653.84") and not r.complete
    assert r.data_end == "2026-11-11T00:00:00Z"


def test_a_slice_counts_its_empty_days_as_zero(nov10: Settings) -> None:
    with reader(nov10) as con:
        r = cost_forecast(
            con, NOV, settings=nov10, scope=Scope.everything(), filters={"namespace": "ml"}
        )
    f = r.forecast
    assert f is not None and r.actual == D("1600.00")
    # Nov 4..10 = 0, 320, 384, 384, 384, 128, 0: mean 1600 / 7; 1600 + 20 × 1600 / 7
    assert f.daily_run_rate.quantize(D("1e-9")) == (D(1600) / 7).quantize(D("1e-9"))
    assert f.forecast.quantize(CENT) == D("6171.43")
    assert (f.low, f.high) == (D("1600"), D("9280.00"))  # 1600 + 20 × 0; 1600 + 20 × 384


def test_a_closed_month_is_its_actual_and_a_future_one_a_projection(nov10: Settings) -> None:
    with reader(nov10) as con:
        sep = cost_forecast(con, month_window(2026, 9), settings=nov10, scope=Scope.everything())
        dec = cost_forecast(con, month_window(2026, 12), settings=nov10, scope=Scope.everything())
    assert sep.complete and sep.forecast is None and sep.actual is not None
    assert dec.actual is None and dec.covered is None and dec.forecast is not None
    # 31 days at the mean of Nov 4..10 (1697.188 / 7 a day), nothing spent yet
    assert dec.forecast.month_to_date == 0
    assert dec.forecast.forecast.quantize(CENT) == (D("1697.188") / 7 * 31).quantize(CENT)
    assert dec.forecast.method.startswith("no data in the month yet")


def test_no_data_before_the_month_is_a_gap(penny_env: object) -> None:
    s = load_settings(now=datetime(2026, 11, 11))
    with writer(s) as con:
        two_months(con, november_hours=240)
    with reader(s) as con, pytest.raises(DataGap, match="to forecast 2026-08"):
        cost_forecast(con, month_window(2026, 8), settings=s, scope=Scope.everything())


def test_pure_rule_with_no_complete_day() -> None:
    # 12 hours in: 60.00 so far -> 5.00/h × 24 = 120/day; 29.5 days left
    f = forecast_month(NOV, datetime(2026, 11, 1, 12), [(datetime(2026, 11, 1), D("60"))])
    assert f.daily_run_rate == D("120") and f.forecast == D("60") + D("120") * D("29.5")
    assert f.low == f.high == f.forecast
