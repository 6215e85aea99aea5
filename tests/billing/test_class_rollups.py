"""Class rollups give the bill variance exactly what the hours give (issue 16).

``allocate`` sums each day it rebuilds into ``allocation_class_daily`` (m008), keyed by
what ``compare_periods`` groups by; ``load_period`` reads a window's whole built days from
there and its other hours from the ``allocations`` view. Two private copies of the demo
warehouse (it has a savings plan, so commitment discounts per node-hour are in play):
*rolled* as allocation left it, and *hourly* with the class-rollup tables dropped, as a
warehouse written before m008 is (every period read from the hours). For any window
(whole days, partial days, past the data) and scope, the periods must be equal: every
item's quantity, cost, node-hours and commitment discount per node class, every class's
cost, saving, hours and prices — Decimal equality, not approximate.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from assistant.allocation import class_rollups
from assistant.allocation.allocate import allocate
from assistant.allocation.class_rollups import day_runs
from assistant.billing.class_source import class_rows
from assistant.billing.explain import BILL_GROUPS, compare_periods
from assistant.billing.loaders import load_period
from assistant.billing.variance import PeriodData
from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.warehouse.db import reader, writer
from assistant.windows import Window
from tests.demo_warehouse import demo_copy
from tests.rollup_windows import windows

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


def _settings(home: Path) -> Settings:
    return load_settings(home=home, db=home / "penny.duckdb")


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rolled = _settings(demo_copy(tmp_path_factory, "class-rolled"))
    hourly = _settings(demo_copy(tmp_path_factory, "class-hourly"))
    with writer(hourly) as con:
        con.execute("DROP TABLE allocation_class_rollup_days")
        con.execute("DROP TABLE allocation_class_daily")
    with reader(rolled) as con:
        first, last = con.execute("SELECT min(hour), max(hour) FROM allocation_hours").fetchone()
        discount = con.execute("SELECT sum(total_discount) FROM allocation_class_daily").fetchone()
        teams = [r[0] for r in con.execute(
            "SELECT DISTINCT team FROM allocation_class_daily "
            "WHERE kind = 'workload' AND team IS NOT NULL ORDER BY 1"
        ).fetchall()]  # fmt: skip
        namespaces = [r[0] for r in con.execute(
            "SELECT DISTINCT namespace FROM allocation_class_daily "
            "WHERE kind = 'workload' ORDER BY 1"
        ).fetchall()]  # fmt: skip
    # the demo's savings plan lowers some node-hours' cost: the discount is in play
    assert discount[0] and discount[0] > 0
    return {
        "rolled": rolled,
        "hourly": hourly,
        "first": first,
        "hours": int((last - first) / HOUR) + 1,
        "teams": teams,
        "namespaces": namespaces,
    }


def _period(settings: Settings, window: Window, scope: Scope) -> tuple[PeriodData, str]:
    with reader(settings) as con:
        days = Decimal(int((window.end - window.start) / HOUR)) / 24
        return load_period(con, window, scope, days=days), class_rows(con, window)[0]


@pytest.mark.slow
@given(data=st.data())
@hyp_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_periods_read_from_class_rollups_equal_the_hours(
    warehouses: dict[str, Any], data: st.DataObject
) -> None:
    window = data.draw(windows(warehouses["first"], warehouses["hours"]), label="window")
    scope = data.draw(
        st.one_of(
            st.just(Scope.everything()),
            st.sampled_from(warehouses["teams"]).map(lambda t: Scope(teams=[t])),
            st.sampled_from(warehouses["namespaces"]).map(lambda n: Scope(namespaces=[n])),
        ),
        label="scope",
    )
    rolled, rolled_sql = _period(warehouses["rolled"], window, scope)
    hourly, hourly_sql = _period(warehouses["hourly"], window, scope)
    assert rolled.items == hourly.items
    assert rolled.classes == hourly.classes
    assert rolled == hourly
    assert "allocation_class_daily" not in hourly_sql
    # a whole day of the window inside the allocated hours is read from the class rollup
    midnight = window.start + (-window.start.hour % 24) * HOUR
    end = warehouses["first"] + warehouses["hours"] * HOUR
    assert ("allocation_class_daily" in rolled_sql) == (midnight + DAY <= min(window.end, end))


def test_month_over_month_from_class_rollups_equals_the_hours(
    warehouses: dict[str, Any],
) -> None:
    # the comparison the bill makes (October against September, by team), and a partial
    # window against a whole one: every effect, driver and its evidence, and group
    october = Window(datetime(2026, 10, 1), datetime(2026, 11, 1))
    september = Window(datetime(2026, 9, 1), datetime(2026, 10, 1))
    partial = Window(datetime(2026, 11, 2, 7), datetime(2026, 11, 9, 13))
    for a, b in ((september, october), (october, partial)):
        seen = []
        for which in ("rolled", "hourly"):
            settings = warehouses[which]
            with reader(settings) as con:
                seen.append(
                    compare_periods(
                        con,
                        a,
                        b,
                        by="workload",
                        scope=Scope.everything(),
                        settings=settings,
                        group_dims=(*BILL_GROUPS, "workload"),
                    )
                )
        assert seen[0] == seen[1]
        assert seen[0].effects and seen[0].drivers
        assert any(e.kind == "commitment" and e.amount for e in seen[0].effects)


def test_reallocating_a_day_rebuilds_its_class_rollup(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # 20% more CPU requested in 3 hours of 2026-10-10: allocating those hours rebuilds the
    # day's class rollup, which then equals its hours again (and is not what it was)
    settings = _settings(demo_copy(tmp_path_factory, "class-touched"))
    day = Window(datetime(2026, 10, 10), datetime(2026, 10, 11))
    before, _ = _period(settings, day, Scope.everything())
    with writer(settings) as con:
        con.execute(
            "UPDATE container_hours SET cpu_request_cores = cpu_request_cores * 1.2, "
            "ingest_id = 'reingest' WHERE hour >= ? AND hour < ?",
            [datetime(2026, 10, 10, 5), datetime(2026, 10, 10, 8)],
        )
    allocate(settings, Window(datetime(2026, 10, 10, 5), datetime(2026, 10, 10, 8)))
    after, sql = _period(settings, day, Scope.everything())
    assert "allocation_class_daily" in sql
    with writer(settings) as con:
        con.execute("DELETE FROM allocation_class_rollup_days")
    hours, sql = _period(settings, day, Scope.everything())
    assert "allocation_class_daily" not in sql
    assert after == hours
    assert after.total() == before.total()  # the same bill, split differently
    assert after.items != before.items


def test_day_runs_pack_whole_days_up_to_the_row_budget(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Runs of consecutive days, each at most ``max_rows`` container-hours: the demo has a
    steady number of container-hours per day, so a budget of two and a half days' rows
    packs two days a run, and a budget below one day gives every day a run of its own."""
    settings = _settings(demo_copy(tmp_path_factory, "class-day-runs"))
    start, end = datetime(2026, 10, 1), datetime(2026, 10, 6)
    with reader(settings) as con:
        per_day = con.execute(
            "SELECT count(*) FROM container_hours WHERE hour >= ? AND hour < ? "
            "GROUP BY date_trunc('day', hour)",
            [start, end],
        ).fetchall()
        day = max(n for (n,) in per_day)
        budget = 2 * day + day // 2
        assert 3 * min(n for (n,) in per_day) > budget  # steady: three days never fit
        two_days = day_runs(con, start, end, budget)
        one_day = day_runs(con, start, end, day - 1)
    d = [start + timedelta(days=i) for i in range(6)]
    assert two_days == [(d[0], d[2]), (d[2], d[4]), (d[4], d[5])]
    assert one_day == [(d[i], d[i + 1]) for i in range(5)]


def test_class_rollups_built_in_runs_of_days_equal_one_statement(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100k pods a month one statement did not fit allocation's memory limit, so the
    days are summed in runs sized by the limit; each day's sums are its own, so the table
    built a day at a time equals the table built in one statement, row for row."""
    rows = "SELECT * FROM allocation_class_daily ORDER BY ALL"
    whole = _settings(demo_copy(tmp_path_factory, "class-one-run"))
    daily = _settings(demo_copy(tmp_path_factory, "class-day-per-run"))
    allocate(whole)
    monkeypatch.setattr(class_rollups, "ROWS_PER_MB", 1)  # 1,024 container-hours a run
    allocate(daily)
    with reader(whole) as a, reader(daily) as b:
        expected, got = a.execute(rows).fetchall(), b.execute(rows).fetchall()
        days = b.execute("SELECT count(DISTINCT day_start) FROM allocation_class_daily")
        assert days.fetchone()[0] > 30  # type: ignore[index]
    assert got == expected
