"""Budgets against actuals and the forecast (tests/billing/bill_rows.two_months, November
cut at 240 h, now 2026-11-11). Namespace shop in November: web 4 cores × 0.012 + api 3
cores × 0.04 = 0.168 an hour = 4.032 a day; 10 days = 40.32; forecast 40.32 + 20 × 4.032
= 120.96. The whole bill: 1653.84 so far, forecast 6502.95 (tests/billing/test_forecast)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from assistant.budgets import budget_status
from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.errors import ConfigError
from assistant.warehouse.db import reader, writer
from assistant.windows import month_window
from tests.billing.bill_rows import two_months
from tools.registry import ToolContext, call

BUDGETS = [
    {"scope": "total", "monthly": "5000"},
    {"scope": "namespace:shop", "monthly": "100", "note": "owned by the shop team"},
    {"scope": "namespace:ml", "monthly": "1000", "name": "ML training"},
]


@pytest.fixture
def settings(penny_env: object) -> Settings:
    s = load_settings(now=datetime(2026, 11, 11), budgets=BUDGETS)
    with writer(s) as con:
        two_months(con, november_hours=240)
    return s


def test_each_budget_against_actual_and_forecast(settings: Settings) -> None:
    with reader(settings) as con:
        r = budget_status(
            con, month=month_window(2026, 11), settings=settings, scope=Scope.everything()
        )
    total, shop, ml = r.budgets
    assert (total.spent, total.remaining, total.verdict) == (
        D("1653.84"),
        D("3346.16"),
        "forecast over",
    )
    assert total.forecast is not None and total.forecast.forecast.quantize(D("0.01")) == D(
        "6502.95"
    )
    assert (shop.spent, shop.remaining, shop.spent_pct) == (D("40.32"), D("59.68"), D("40.32"))
    assert shop.forecast is not None and shop.forecast.forecast == D("120.96")
    assert shop.remaining_after_forecast == D("-20.96") and shop.verdict == "forecast over"
    assert shop.note == "owned by the shop team"
    # ml: 1600.00 spent of 1000: over on the actual alone
    assert (ml.name, ml.spent, ml.verdict) == ("ML training", D("1600.00"), "over")
    assert not r.complete and r.covered is not None


def test_a_closed_month_is_judged_on_its_actual(settings: Settings) -> None:
    with reader(settings) as con:
        r = budget_status(
            con, month=month_window(2026, 9), settings=settings, scope=Scope.everything()
        )
    shop = r.budgets[1]
    # September: web 4 × 0.012 + api 2 × 0.04 = 0.128 an hour × 720 h = 92.16
    assert r.complete and shop.forecast is None
    assert (shop.spent, shop.verdict) == (D("92.16"), "within")


def test_scope_sees_only_its_own_budgets(settings: Settings) -> None:
    shop = Scope(namespaces=["shop"], user="ana")
    with reader(settings) as con:
        r = budget_status(con, month=month_window(2026, 11), settings=settings, scope=shop)
    assert [b.scope for b in r.budgets] == ["namespace:shop"] and r.not_visible == 2


def test_tool_says_when_none_are_configured(penny_env: object) -> None:
    s = load_settings(now=datetime(2026, 11, 11))
    with writer(s) as con:
        two_months(con, november_hours=240)
    result, _ = call("budget_status", {}, ToolContext.create(s))
    assert result.status == "no_data" and "No budgets are configured" in (result.error or "")
    assert "budgets: [{scope: total, monthly: 30000}" in (result.error or "")


def test_a_bad_budget_scope_is_a_clear_config_error(penny_env: object) -> None:
    with pytest.raises(ConfigError, match=r"budgets\.0\.scope.*'team:NAME' or 'namespace:NAME'"):
        load_settings(budgets=[{"scope": "squad:x", "monthly": "5"}])
    with pytest.raises(ConfigError, match=r"budgets\.0\.monthly"):
        load_settings(budgets=[{"scope": "total", "monthly": "-5"}])
