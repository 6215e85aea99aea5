"""Entity comparisons and trends answered on the demo warehouse, checked against SQL sums of
``allocations`` (the same independent computation the eval cases use)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from assistant.agent.offline import answer
from assistant.config import Settings
from assistant.core.answer import AskContext
from tests.agent.offline.test_engine import cents, sql_one
from tools.registry import ToolContext, call

OCTOBER = "hour >= '2026-10-01' AND hour < '2026-11-01'"


def team_sum(settings: Settings, team: str, where: str) -> Decimal:
    return sql_one(
        settings,
        "SELECT sum(total_cost) FROM allocations WHERE kind = 'workload' "
        f"AND team = '{team}' AND {where}",
    )


def test_entity_comparison_shows_both_totals_and_their_difference(demo_settings: Settings) -> None:
    a = answer("payments vs storefront in October", AskContext(), demo_settings)
    pay = team_sum(demo_settings, "payments", OCTOBER)
    shop = team_sum(demo_settings, "storefront", OCTOBER)
    assert a.understood and a.notes == ["offline intent: entity_compare"]
    assert (
        f"the team **payments** cost **{cents(pay)}** and the team **storefront** cost "
        f"**{cents(shop)}**"
    ) in a.text
    # payments − storefront, each a Σ total_cost over October's workload rows
    assert f"payments cost **{cents(pay - shop)}** more than storefront" in a.text
    assert [c.name for c in a.tool_calls] == ["query_costs", "query_costs", "cost_trend"]
    assert a.tool_calls[2].args == {
        "window": "2026-10",
        "bucket": "month",
        "filters": {"team": "payments"},
        "versus": {"team": "storefront"},
    }
    assert "Largest parts of payments:" in a.text and "Largest parts of storefront:" in a.text


def test_daily_trend_lists_every_day_with_its_cost(demo_settings: Settings) -> None:
    a = answer("daily cost of the ml team last week", AskContext(), demo_settings)
    # 'now' is Friday 2026-11-27: last week is Monday 11-16 to Monday 11-23
    assert a.tool_calls[0].args == {
        "window": "2026-11-16..2026-11-23",
        "bucket": "day",
        "filters": {"team": "ml"},
    }
    monday = datetime(2026, 11, 16)
    for i in range(7):
        day = monday + timedelta(days=i)
        cost = team_sum(
            demo_settings,
            "ml",
            f"hour >= '{day:%Y-%m-%d}' AND hour < '{day + timedelta(days=1):%Y-%m-%d}'",
        )
        assert f"| {day:%Y-%m-%d (%a)} | {cents(cost)} |" in a.text
    week = team_sum(demo_settings, "ml", "hour >= '2026-11-16' AND hour < '2026-11-23'")
    assert f"**{cents(week)}** in total" in a.text


def test_weekly_whole_bill_marks_partial_weeks(demo_settings: Settings) -> None:
    a = answer("cost per week this quarter", AskContext(), demo_settings)
    # the quarter starts Thursday 10-01: its ISO week (from Monday 09-28) is cut, and so is
    # the week of 11-23 (the window ends at 'now')
    first = sql_one(
        demo_settings,
        "SELECT sum(total_cost) FROM allocations WHERE "
        "hour >= '2026-10-01' AND hour < '2026-10-05'",
    )
    assert f"| week of 2026-09-28 * | {cents(first)} |" in a.text
    assert "| week of 2026-11-23 * |" in a.text and "| week of 2026-11-16 | $" in a.text


def test_trend_total_equals_query_costs_total_on_the_demo(demo_settings: Settings) -> None:
    ctx = ToolContext.create(demo_settings)
    for args in ({"filters": {"team": "payments"}}, {}, {"filters": {"namespace": "etl"}}):
        trend = call("cost_trend", {"window": "2026-10", "bucket": "week", **args}, ctx)[0]
        costs = call("query_costs", {"window": "2026-10", **args}, ctx)[0]
        assert trend.data["total"] == costs.data["totals"]["total"]


def test_refusal_suggests_the_new_question_types(demo_settings: Settings) -> None:
    a = answer("Write me a poem about Kubernetes", AskContext(), demo_settings)
    assert "- payments vs storefront in October" in a.text
    assert "- Daily cost of the ml team last week" in a.text


def test_weekly_entity_comparison_has_a_side_by_side_table(demo_settings: Settings) -> None:
    a = answer("compare payments to storefront weekly in October", AskContext(), demo_settings)
    week = "hour >= '2026-10-05' AND hour < '2026-10-12'"
    pay, shop = (team_sum(demo_settings, t, week) for t in ("payments", "storefront"))
    # difference = payments − storefront for the ISO week of Monday 10-05
    assert (
        f"| week of 2026-10-05 | {cents(pay)} | {cents(shop)} | "
        f"{'+' if pay > shop else '-'}{cents(abs(pay - shop))} |"
    ) in a.text
    assert "| week of 2026-09-28 * |" in a.text and "_* partial:" in a.text


def test_a_daily_series_too_long_says_what_to_ask_instead(demo_settings: Settings) -> None:
    a = answer("daily cost of payments over the past 120 days", AskContext(), demo_settings)
    assert "has 120 buckets; the limit is 92" in a.text
    assert "Ask for the weekly (or monthly) cost over that period" in a.text
    assert "$" not in a.text
