"""Which budgets a cost table's slice is measured by, and which windows are a month."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.budgets.applies import applicable_budgets, budget_month
from assistant.config import Budget
from assistant.windows import Window, month_window

B = [
    Budget(scope="total", monthly=1000),
    Budget(scope="team:payments", monthly=500),
    Budget(scope="namespace:etl", monthly=50),
]


@pytest.mark.parametrize(
    ("group_by", "filters", "groups", "expected"),
    [
        ("namespace", {}, ["etl", "pay"], ["total", "namespace:etl"]),
        ("team", {}, ["payments", "data"], ["total", "team:payments"]),
        ("team", {}, ["data"], ["total"]),  # payments not among the rows shown
        ("controller", {}, ["Deployment/api"], ["total"]),
        ("controller", {"team": "payments"}, [], ["team:payments"]),
        ("pod", {"namespace": "etl"}, [], ["namespace:etl"]),
        ("pod", {"namespace": "pay"}, [], []),  # no budget for it
        ("pod", {"env": "prod"}, [], []),  # a slice no budget measures
        ("pod", {"team": "payments", "env": "prod"}, [], []),  # a part of a budget's slice
    ],
)
def test_applicable_budgets(
    group_by: str, filters: dict[str, str], groups: list[str], expected: list[str]
) -> None:
    assert applicable_budgets(B, group_by=group_by, filters=filters, groups=groups) == expected


def test_budget_month_is_a_whole_month_or_its_start() -> None:
    nov = month_window(2026, 11)
    assert budget_month(nov) == nov
    assert budget_month(Window(datetime(2026, 11, 1), datetime(2026, 11, 21, 5))) == nov
    assert budget_month(Window(datetime(2026, 11, 2), datetime(2026, 11, 9))) is None
    assert budget_month(Window(datetime(2026, 11, 1), datetime(2026, 12, 2))) is None
