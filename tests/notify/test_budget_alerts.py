"""Budget thresholds: which are reached, which are sent, and that each is sent at most once
over any sequence of looks. A $500 monthly budget: $250 is 50 %, $400 is 80 %."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from assistant.notify.budget import Crossing, crossings, percent_of

T = [50, 80, 100]


def _sent(found: list[Crossing]) -> list[tuple[str, int]]:
    return [(c.basis, c.threshold) for c in found if c.send]


def test_each_threshold_of_the_actual_spend() -> None:
    assert (
        crossings(
            monthly=D(500), spent=D("249.99"), forecast=None, thresholds=T, forecast_thresholds=T
        )
        == []
    )
    (half,) = crossings(
        monthly=D(500), spent=D(250), forecast=None, thresholds=T, forecast_thresholds=T
    )
    assert (half.basis, half.threshold, half.pct, half.send) == ("actual", 50, D("50.00"), True)
    found = crossings(
        monthly=D(500), spent=D(425), forecast=None, thresholds=T, forecast_thresholds=T
    )
    # 425 / 500 = 85 %: 50 and 80 reached at one look, only 80 is sent
    assert [(c.threshold, c.pct, c.send) for c in found] == [
        (50, D("85.00"), False),
        (80, D("85.00"), True),
    ]
    over = crossings(
        monthly=D(500), spent=D("500.01"), forecast=None, thresholds=T, forecast_thresholds=T
    )
    assert _sent(over) == [("actual", 100)] and over[-1].pct == D("100.00")


def test_the_forecast_warns_ahead_of_the_actual_and_only_above_it() -> None:
    # spent $300 (60 %), forecast $620 (124 %): actual 50 and forecast 100 are sent
    found = crossings(
        monthly=D(500), spent=D(300), forecast=D(620), thresholds=T, forecast_thresholds=T
    )
    assert _sent(found) == [("actual", 50), ("forecast", 100)]
    assert [(c.basis, c.threshold) for c in found if not c.send] == [
        ("forecast", 50),
        ("forecast", 80),
    ]
    # once the actual is at 100 %, a forecast at 100 % says nothing new
    late = crossings(
        monthly=D(500), spent=D(510), forecast=D(600), thresholds=T, forecast_thresholds=T
    )
    assert _sent(late) == [("actual", 100)]
    assert (
        crossings(
            monthly=D(500), spent=D(10), forecast=D(900), thresholds=T, forecast_thresholds=[]
        )
        == []
    )


def test_a_zero_budget_is_over_at_the_first_cent() -> None:
    assert percent_of(D("0.01"), D(0)) == D("Infinity") and percent_of(D(0), D(0)) == 0
    assert _sent(
        crossings(monthly=D(0), spent=D("0.01"), forecast=None, thresholds=T, forecast_thresholds=T)
    ) == [("actual", 100)]


@given(
    st.lists(st.tuples(st.integers(0, 1200), st.integers(0, 1500)), min_size=1, max_size=12),
    st.lists(st.integers(1, 150), min_size=1, max_size=4, unique=True),
)
def test_any_sequence_of_looks_sends_each_threshold_at_most_once(
    looks: list[tuple[int, int]], thresholds: list[int]
) -> None:
    """The jobs send a crossing only when the record has no row for it, and record every
    crossing (sent or not): so nothing is sent twice, and what is sent is never below a
    threshold the same basis already passed at an earlier look."""
    record: set[tuple[str, int]] = set()
    sent: list[tuple[str, int]] = []
    spent_so_far = 0
    for spent_step, forecast in looks:
        spent_so_far = max(spent_so_far, spent_step)  # spend only grows within a month
        for c in crossings(
            monthly=D(1000),
            spent=D(spent_so_far),
            forecast=D(forecast),
            thresholds=sorted(thresholds),
            forecast_thresholds=sorted(thresholds),
        ):
            key = (c.basis, c.threshold)
            if key in record:
                continue
            record.add(key)
            if c.send:
                sent.append(key)
    assert len(sent) == len(set(sent))
    actual = [t for b, t in sent if b == "actual"]
    assert actual == sorted(actual)  # spend grows, so actual alerts only go up
    top = max((t for t in thresholds if spent_so_far / 10 >= t), default=None)
    assert top is None or ("actual", top) in record


def test_the_month_before_is_looked_at_on_its_actual_for_three_days() -> None:
    from datetime import datetime

    from assistant.notify.budget import alert_months

    assert alert_months(datetime(2026, 12, 1, 0, 15)) == [("2026-12", True), ("2026-11", False)]
    assert alert_months(datetime(2026, 12, 3, 23, 45)) == [("2026-12", True), ("2026-11", False)]
    assert alert_months(datetime(2026, 12, 4, 0, 0)) == [("2026-12", True)]
    assert alert_months(datetime(2027, 1, 2, 9)) == [("2027-01", True), ("2026-12", False)]
