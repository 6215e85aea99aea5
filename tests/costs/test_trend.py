"""cost_trend: per-bucket cost worked out by hand on a fixed tiny warehouse.

Allocation rows (cluster prod, amortized total_cost; all of it CPU cost):
  team a, namespace alpha   2026-10-05 10:00 (Mon) 4.00   2026-10-05 23:00 1.50
                            2026-10-07 03:00 (Wed) 2.25   2026-10-12 00:00 (Mon) 3.00
  team b, namespace beta    2026-10-06 12:00 (Tue) 5.00   2026-10-13 12:00 (Tue) 0.75
  __idle__ (node-a, cpu)    2026-10-06 00:00       1.00
  __unallocated__ (EKS)     2026-10-01 00:00 (Thu) 0.10
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.costs.query import query_costs
from assistant.costs.trend import bucket_floor, buckets, check_bucket_count, cost_trend
from assistant.errors import InputError
from assistant.warehouse.db import Connection, reader, writer
from assistant.windows import Window, month_window
from tests.tools.conftest import OCTOBER_LAST_HOUR, insert_allocations

D = Decimal


def _w(team: str, ns: str, hour: datetime, cost: str) -> dict[str, Any]:
    return dict(
        kind="workload",
        node="node-a",
        namespace=ns,
        pod=f"{ns}-0",
        container="c",
        controller_kind="Deployment",
        controller_name=ns,
        team=team,
        hour=hour,
        cpu_cost=D(cost),
        total_cost=D(cost),
    )


ROWS = [
    _w("a", "alpha", datetime(2026, 10, 5, 10), "4.00"),
    _w("a", "alpha", datetime(2026, 10, 5, 23), "1.50"),
    _w("a", "alpha", datetime(2026, 10, 7, 3), "2.25"),
    _w("a", "alpha", datetime(2026, 10, 12, 0), "3.00"),
    _w("b", "beta", datetime(2026, 10, 6, 12), "5.00"),
    _w("b", "beta", datetime(2026, 10, 13, 12), "0.75"),
    dict(
        kind="idle",
        node="node-a",
        namespace="__idle__",
        resource="cpu",
        hour=datetime(2026, 10, 6, 0),
        cpu_cost=D("1.00"),
        total_cost=D("1.00"),
    ),
    dict(
        kind="unallocated",
        namespace="__unallocated__",
        service_name="Amazon EKS",
        resource="Usage",
        hour=datetime(2026, 10, 1, 0),
        other_cost=D("0.10"),
        total_cost=D("0.10"),
    ),
    # the data runs to the end of October (its last hour free): days without cost before
    # it are $0 days, not days after the data
    OCTOBER_LAST_HOUR,
]

TEN_DAYS = Window(datetime(2026, 10, 5), datetime(2026, 10, 15))


@pytest.fixture
def st_settings(penny_env: Any) -> Settings:
    return load_settings(now=datetime(2026, 11, 1))


@pytest.fixture
def con(st_settings: Settings) -> Iterator[Connection]:
    with writer(st_settings) as w:
        insert_allocations(w, ROWS)
    with reader(st_settings) as c:
        yield c


def totals(trend: Any) -> list[tuple[str, Decimal, bool]]:
    return [(f"{b.start:%m-%d}", b.total, b.partial) for b in trend.buckets]


def test_daily_buckets_zero_filled_and_summed(con: Connection, st_settings: Settings) -> None:
    t = cost_trend(con, window=TEN_DAYS, bucket="day", settings=st_settings)
    assert totals(t) == [
        ("10-05", D("5.50"), False),  # 4.00 + 1.50
        ("10-06", D("6.00"), False),  # b 5.00 + idle 1.00
        ("10-07", D("2.25"), False),
        ("10-08", D(0), False),
        ("10-09", D(0), False),
        ("10-10", D(0), False),
        ("10-11", D(0), False),  # no cost: present as 0
        ("10-12", D("3.00"), False),
        ("10-13", D("0.75"), False),
        ("10-14", D(0), False),
    ]
    assert t.total == D("17.50")  # 5.50 + 6.00 + 2.25 + 3.00 + 0.75


def test_days_after_the_data_ends_are_left_out_not_zero(
    con: Connection, st_settings: Settings
) -> None:
    # the data's last hour is Oct 31 23:00, so it ends Nov 1 00:00: Oct 30 and 31 are
    # whole days; Nov 1 and 2 are after it, unknown rather than $0, and said in a note
    window = Window(datetime(2026, 10, 30), datetime(2026, 11, 3))
    t = cost_trend(con, window=window, bucket="day", settings=st_settings)
    assert totals(t) == [("10-30", D(0), False), ("10-31", D(0), False)]
    assert (
        "the data ends 2026-11-01 00:00 UTC: 2 day(s) after it are left out, not counted as $0"
        in t.provenance.notes
    )
    # a window ending mid-day after the data: that day's bucket starts after the data too
    t = cost_trend(
        con,
        window=Window(datetime(2026, 10, 31), datetime(2026, 11, 1, 12)),
        bucket="day",
        settings=st_settings,
    )
    assert totals(t) == [("10-31", D(0), False)]
    # the data ending inside a bucket makes it partial: weeks of Oct 26 (to Nov 2)
    t = cost_trend(
        con,
        window=Window(datetime(2026, 10, 26), datetime(2026, 11, 2)),
        bucket="week",
        settings=st_settings,
    )
    assert totals(t) == [("10-26", D(0), True)]


def test_iso_weeks_start_monday_and_cut_buckets_are_partial(
    con: Connection, st_settings: Settings
) -> None:
    # 2026-10-01 is a Thursday: its ISO week starts Monday 2026-09-28
    window = Window(datetime(2026, 10, 1), datetime(2026, 10, 15))
    t = cost_trend(con, window=window, bucket="week", settings=st_settings)
    assert totals(t) == [
        ("09-28", D("0.10"), True),  # only the unallocated 0.10 (Oct 1-4 in window)
        ("10-05", D("13.75"), False),  # a 4.00+1.50+2.25, b 5.00, idle 1.00
        ("10-12", D("3.75"), True),  # a 3.00 + b 0.75; window ends Thursday 10-15
    ]
    assert [b.end for b in t.buckets][-1] == datetime(2026, 10, 19)
    assert t.total == D("17.60")


def test_monthly_and_hour_aligned_partial_days(con: Connection, st_settings: Settings) -> None:
    t = cost_trend(con, window=month_window(2026, 10), bucket="month", settings=st_settings)
    assert totals(t) == [("10-01", D("17.60"), False)]
    # noon to noon: 10-05 keeps only the 23:00 row, 10-07 the 03:00 row
    noon = Window(datetime(2026, 10, 5, 12), datetime(2026, 10, 7, 12))
    t = cost_trend(con, window=noon, bucket="day", settings=st_settings)
    assert totals(t) == [
        ("10-05", D("1.50"), True),
        ("10-06", D("6.00"), False),
        ("10-07", D("2.25"), True),
    ]


def test_split_keeps_top_groups_then_others_then_idle(
    con: Connection, st_settings: Settings
) -> None:
    t = cost_trend(
        con, window=TEN_DAYS, bucket="week", split_by="team", top_n=1, settings=st_settings
    )
    assert [(s["name"], s["total"]) for s in t.series] == [
        ("a", D("10.75")),  # 4.00 + 1.50 + 2.25 + 3.00
        ("others", D("5.75")),  # b: 5.00 + 0.75
        ("__idle__", D("1.00")),
    ]
    assert t.more == 1
    assert [b.groups for b in t.buckets] == [
        {"a": D("7.75"), "others": D("5.00"), "__idle__": D("1.00")},
        {"a": D("3.00"), "others": D("0.75"), "__idle__": D(0)},  # zero-filled series
    ]


def test_filters_and_scope_match_query_costs(con: Connection, st_settings: Settings) -> None:
    t = cost_trend(con, window=TEN_DAYS, filters={"team": "a"}, settings=st_settings)
    q = query_costs(con, window=TEN_DAYS, filters={"team": "a"}, settings=st_settings)
    assert t.total == q.totals.total == D("10.75")
    scoped = Scope(teams=["b"], user="bob")
    t = cost_trend(con, window=TEN_DAYS, scope=scoped, settings=st_settings)
    # a team-scoped asker sees b's workloads only: no idle, no unallocated
    assert [b.total for b in t.buckets if b.total] == [D("5.00"), D("0.75")]
    assert (
        t.total
        == query_costs(con, window=TEN_DAYS, scope=scoped, settings=st_settings).totals.total
    )


def test_idle_sharing_happens_within_each_bucket(con: Connection, st_settings: Settings) -> None:
    t = cost_trend(
        con, window=TEN_DAYS, bucket="day", split_by="team", share_idle=True, settings=st_settings
    )
    # On 10-06 only b had CPU cost, so b takes that day's 1.00 idle: 5.00 + 1.00
    assert t.buckets[1].groups == {"a": D(0), "b": D("6.00")}
    # sharing moves cost between groups: the whole stays 17.50
    assert t.total == D("17.50")


def test_facts_first_last_min_max_change_weekday(con: Connection, st_settings: Settings) -> None:
    f = cost_trend(con, window=TEN_DAYS, bucket="day", settings=st_settings).facts
    assert (f["first"]["start"], f["first"]["total"]) == ("2026-10-05", D("5.50"))
    assert (f["last"]["start"], f["last"]["total"]) == ("2026-10-14", D(0))
    assert (f["min"]["start"], f["max"]["start"]) == ("2026-10-08", "2026-10-06")  # earliest 0
    assert f["change"] == D("-5.50")  # 0 - 5.50
    assert f["change_pct"] == D("-100.00")  # -5.50 / 5.50
    assert f["average"] == D("1.75")  # 17.50 / 10 days
    assert f["busiest_weekday"] is None  # under two weeks: one day per weekday is no average
    two_weeks = Window(datetime(2026, 10, 1), datetime(2026, 10, 15))
    f = cost_trend(con, window=two_weeks, bucket="day", settings=st_settings).facts
    # Mondays (5.50 + 3.00) / 2 = 4.25 beat Tuesdays (6.00 + 0.75) / 2 = 3.375 and
    # Thursdays (0.10 + 0) / 2 = 0.05
    assert f["busiest_weekday"] == {"weekday": "Monday", "average": D("4.25"), "days": 2}


def test_facts_skip_partial_buckets_when_two_are_complete(
    con: Connection, st_settings: Settings
) -> None:
    window = Window(datetime(2026, 10, 1), datetime(2026, 10, 15))
    f = cost_trend(con, window=window, bucket="week", settings=st_settings).facts
    # one complete week only: facts read every bucket, and say so
    assert (f["over"], f["first"]["total"], f["last"]["total"]) == (
        "all buckets (some partial)",
        D("0.10"),
        D("3.75"),
    )
    assert "busiest_weekday" not in f


def test_bucket_arithmetic_is_pure() -> None:
    assert bucket_floor(datetime(2026, 10, 4, 23), "week") == datetime(2026, 9, 28)  # Sun
    assert bucket_floor(datetime(2026, 10, 5, 0), "week") == datetime(2026, 10, 5)  # Mon
    assert bucket_floor(datetime(2026, 12, 31, 5), "month") == datetime(2026, 12, 1)
    months = buckets(Window(datetime(2026, 11, 15), datetime(2027, 1, 2)), "month")
    assert [(b.start, b.end, b.partial) for b in months] == [
        (datetime(2026, 11, 1), datetime(2026, 12, 1), True),
        (datetime(2026, 12, 1), datetime(2027, 1, 1), False),
        (datetime(2027, 1, 1), datetime(2027, 2, 1), True),
    ]


def test_too_many_buckets_names_the_limit_and_a_bucket_that_fits() -> None:
    year = Window(datetime(2026, 1, 1), datetime(2026, 11, 1))  # 304 days
    with pytest.raises(InputError) as exc:
        check_bucket_count(year, "day")
    assert "304 buckets; the limit is 92" in str(exc.value)
    assert "bucket='week' (44 buckets)" in str(exc.value)  # Dec 29 2025 .. Oct 26
    assert check_bucket_count(Window(datetime(2026, 7, 1), datetime(2026, 10, 1)), "day") == 92


def test_bad_arguments_are_input_errors(con: Connection, st_settings: Settings) -> None:
    for kwargs in (
        {"bucket": "hour"},
        {"split_by": "colour"},
        {"filters": {"owner": "x"}},
        {"top_n": 0},
        {"basis": "list"},
    ):
        with pytest.raises(InputError):
            cost_trend(con, window=TEN_DAYS, settings=st_settings, **kwargs)


@given(
    start=st.integers(0, 30 * 24),
    length=st.integers(1, 40 * 24),
    bucket=st.sampled_from(["day", "week", "month"]),
    split=st.sampled_from([None, "team", "namespace"]),
    team=st.sampled_from([None, "a", "b"]),
)
@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_sum_of_buckets_equals_query_costs_total(
    con: Connection,
    st_settings: Settings,
    start: int,
    length: int,
    bucket: str,
    split: str | None,
    team: str | None,
) -> None:
    window = Window(
        datetime(2026, 9, 20) + timedelta(hours=start),
        datetime(2026, 9, 20) + timedelta(hours=start + length),
    )
    filters = {"team": team} if team else {}
    t = cost_trend(
        con,
        window=window,
        bucket=bucket,
        filters=filters,
        split_by=split,
        top_n=1,
        settings=st_settings,
    )
    q = query_costs(con, window=window, filters=filters, settings=st_settings)
    assert sum((b.total for b in t.buckets), D(0)) == t.total == q.totals.total
    if split:
        assert sum((s["total"] for s in t.series), D(0)) == t.total
        assert all(sum(b.groups.values(), D(0)) == b.total for b in t.buckets)
