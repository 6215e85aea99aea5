"""Anomaly detection: injected spikes and drops are found; a quiet series produces nothing.

Series: day i counts from Monday 2026-08-03 (weekday = i % 7). Weekdays cost 100, weekends
40, plus a deterministic noise [0, 1, -1, 2, -2][i % 5]. Baseline (assistant/billing/
anomalies.py): median of the previous 4 same weekdays; scale 1.4826 × MAD of residuals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal as D

import pytest

from assistant.billing.anomalies import detect, detect_anomalies
from assistant.config import load_settings
from assistant.core.scope import Scope
from assistant.errors import InputError
from assistant.warehouse.db import reader, writer
from assistant.windows import Window
from tests.billing.bill_rows import anomaly_days

START = datetime(2026, 8, 3)  # a Monday
NOISE = [0, 1, -1, 2, -2]


def day(i: int) -> datetime:
    return START + timedelta(days=i)


def base(i: int) -> int:
    return (100 if i % 7 < 5 else 40) + NOISE[i % 5]


def series(overrides: dict[int, int] | None = None, n: int = 56) -> dict[datetime, D]:
    over = overrides or {}
    return {day(i): D(over.get(i, base(i))) for i in range(n)}


def run(groups, *, min_impact: str = "25", threshold: float = 4.0):
    return detect(
        groups,
        [day(i) for i in range(28, 56)],
        data_days=[day(i) for i in range(56)],
        threshold=threshold,
        min_impact=D(min_impact),
    )


def test_injected_spike_and_drop_are_found_and_the_quiet_series_is_not() -> None:
    # day 30 = Wed 2026-09-02: noise 0, +300 -> 400; previous Wednesdays (days 23, 16, 9, 2)
    # have noise 2, 1, -2, -1 -> values 102, 101, 98, 99 -> median 100 = expected
    # day 40 = Sat 2026-09-12: 40 -> 0; previous Saturdays 33, 26, 19, 12: 42, 41, 38, 39
    # -> median 40 = expected
    found = run({"quiet": series(), "ml": series({30: 400, 40: 0})})
    assert [(g, d, a, e) for g, d, a, e, *_ in found] == [
        ("ml", day(30), D(400), D(100)),
        ("ml", day(40), D(0), D(40)),
    ]
    assert all(n == 28 and not shift for *_, n, shift in found)


def test_weekends_are_not_drops_and_noise_is_not_flagged_even_without_a_dollar_floor() -> None:
    # Without the weekday baseline, every weekend (40 vs a median near 100) would be a drop.
    assert run({"quiet": series()}, min_impact="0") == []


def test_minimum_impact_suppresses_small_but_unusual_days() -> None:
    # +20 on Wed day 30: 5 MADs out, but below the $25 minimum impact
    assert run({"g": series({30: 120})}) == []
    assert [g for g, *_ in run({"g": series({30: 120})}, min_impact="10")] == ["g"]


def test_past_spikes_do_not_lift_the_baseline() -> None:
    # Thursdays 31 and 38 spike to 400 (both found); on Thursday 45 the cost is back to
    # 100 + noise 0. Without cleaning, the previous Thursdays 17, 24, 31, 38 = 99, 102,
    # 400, 400 would give a median of 251 and a false "drop"; cleaned (31 and 38 enter at
    # their expected values), the median is ~100 and day 45 is quiet.
    found = run({"g": series({31: 400, 38: 400})})
    assert [d for _, d, *_ in found] == [day(31), day(38)]


def test_a_new_steady_level_is_one_level_shift_not_a_month_of_alerts() -> None:
    # from day 30 on the group costs 200 more every day: flagged for 7 days (30..36), all
    # marked as the level shift once the 7th confirms it, then the baseline restarts at
    # day 30 and stays quiet
    shifted = {d: v + (200 if d >= day(30) else 0) for d, v in series().items()}
    found = run({"g": shifted})
    assert [d for _, d, *_ in found] == [day(i) for i in range(30, 37)]
    assert [shift for *_, shift in found] == [True] * 7


def test_too_little_history_is_not_judged() -> None:
    # only 5 days of data before the judged day: no baseline, no alert
    groups = {"g": {day(i): D(10 if i < 5 else 1000) for i in range(6)}}
    assert (
        detect(groups, [day(5)], data_days=[day(i) for i in range(6)], threshold=4, min_impact=D(0))
        == []
    )


@pytest.fixture
def warehouse(penny_env):
    s = load_settings(now=datetime(2026, 9, 14))
    with writer(s) as con:
        anomaly_days(con)
    return s


def test_detect_anomalies_over_the_warehouse_names_the_workload(warehouse) -> None:
    window = Window(day(28), day(42))
    with reader(warehouse) as con:
        found = detect_anomalies(
            con, window=window, by="team", scope=Scope.everything(), settings=warehouse
        )
    assert len(found) == 1
    a = found[0]
    # ml on 2026-09-10: 24 + 150 = 174 actual against a 24 expected -> excess 150
    assert (a.group, a.day, a.direction) == ("ml", "2026-09-10", "spike")
    assert (a.actual, a.expected, a.excess) == (D(174), D(24), D(150))
    assert a.workloads[0]["workload"] == "ml/Job/train-x" and a.workloads[0]["excess"] == 150
    assert "MAD" in a.method
    shop_only = Scope(teams=["shop"])
    with reader(warehouse) as con:
        assert (
            detect_anomalies(
                con, window=window, by="namespace", scope=shop_only, settings=warehouse
            )
            == []
        )
        with pytest.raises(InputError, match="Use one of"):
            detect_anomalies(con, window=window, by="pod", scope=shop_only, settings=warehouse)


def test_spikes_just_before_the_window_do_not_make_a_normal_day_a_drop(penny_env) -> None:
    """Two spiky Thursdays (days 24 and 31, +150 $ each) sit just before a window that
    starts on day 35. Judged only inside the window, Thursday day 38's baseline would be the
    median of Thursdays 10, 17, 24, 31 = median(24, 24, 174, 174) = 99 $, and its normal
    24 $ a −75 $ "drop". The detector judges the days before the window first (a warm-up),
    so days 24 and 31 enter the baseline at their expected 24 $: nothing to report."""
    from tests.billing.bill_rows import ANOMALY_START, alloc

    s = load_settings(now=datetime(2026, 9, 14))
    with writer(s) as con:
        for i in range(42):
            alloc(
                con,
                ANOMALY_START + timedelta(days=i),
                range(24),
                node="n1",
                namespace="ml",
                controller=("Deployment", "infer"),
                team="ml",
                cpu=1,
                cpu_price="1",
            )
        for i in (24, 31):  # Thursdays: 10 GPUs × 5 h × 3.00 = 150 $
            alloc(
                con,
                ANOMALY_START + timedelta(days=i),
                range(5),
                node="n1",
                namespace="ml",
                controller=("Job", f"train-{i}"),
                team="ml",
                gpu=10,
                gpu_price="3",
            )
    assert [day(i).weekday() for i in (24, 31, 38)] == [3, 3, 3]
    with reader(s) as con:
        inside = detect_anomalies(
            con, window=Window(day(35), day(42)), by="team", scope=Scope.everything(), settings=s
        )
        both = detect_anomalies(
            con, window=Window(day(21), day(42)), by="team", scope=Scope.everything(), settings=s
        )
    assert inside == []
    # the same spikes inside a longer window are found, with their 150 $ excess each
    assert [(a.day, a.direction, a.excess) for a in sorted(both, key=lambda a: a.day)] == [
        ("2026-08-27", "spike", D(150)),
        ("2026-09-03", "spike", D(150)),
    ]
