"""Daily rollups give exactly what the hours give (issue 16).

``allocate`` sums each day it touches into ``allocation_daily``; ``query_costs`` reads the
window's whole built days from there and every other hour from the ``allocations`` view.
Two private copies of the demo warehouse: *rolled* as allocation left it, and *hourly*
with ``allocation_rollup_days`` emptied, which readers then answer from the hours alone
(the path every query took before rollups). For any window, grouping, filter, basis and
sharing the two must agree: every row's cost per resource, idle received, shared received
and total to the last stored decimal place (money sums of DECIMAL(38,12) are exact), and
efficiency to float rounding.
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

from assistant.allocation.allocate import allocate
from assistant.allocation.touched import allocate_touched
from assistant.config import Settings, load_settings
from assistant.core.scope import Scope
from assistant.costs.dimensions import DIMENSIONS
from assistant.costs.query import query_costs
from assistant.costs.rollup_source import EARLIEST, LATEST, plan
from assistant.errors import StaleAllocation
from assistant.warehouse.db import reader, writer
from assistant.windows import Window
from tests.demo_warehouse import demo_copy
from tests.rollup_windows import windows

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
GROUPINGS = [*DIMENSIONS, "label:app"]
OCTOBER = Window(datetime(2026, 10, 1), datetime(2026, 11, 1))


def _settings(home: Path) -> Settings:
    return load_settings(home=home, db=home / "penny.duckdb")


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rolled = _settings(demo_copy(tmp_path_factory, "rolled"))
    hourly = _settings(demo_copy(tmp_path_factory, "hourly"))
    with writer(hourly) as con:
        con.execute("DELETE FROM allocation_rollup_days")
    with reader(rolled) as con:
        first, last = con.execute("SELECT min(hour), max(hour) FROM allocation_hours").fetchone()
        teams = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT team FROM allocation_daily WHERE kind = 'workload' ORDER BY 1"
            ).fetchall()
        ]
        namespaces = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT namespace FROM allocation_daily WHERE kind = 'workload' ORDER BY 1"
            ).fetchall()
        ]
    return {
        "rolled": rolled,
        "hourly": hourly,
        "first": first,
        "hours": int((last - first) / HOUR) + 1,
        "teams": teams,
        "namespaces": namespaces,
    }  # fmt: skip


def _answer(settings: Settings, window: Window, **kwargs: Any) -> tuple[Any, ...]:
    with reader(settings) as con:
        table = query_costs(con, window=window, settings=settings, **kwargs)
    rows = [(r.name, r.kind, r.costs, r.total) for r in table.rows]
    efficiency = [(r.name, r.efficiency) for r in table.rows]
    money = (
        rows,
        table.totals.total,
        table.unlabeled_cost,
        [(r.name, r.costs, r.total) for r in table.estimates],
        table.estimated_total,
        table.sharing,
    )
    return money, efficiency, table.provenance.tables


def _same(rolled: tuple[Any, ...], hourly: tuple[Any, ...]) -> None:
    assert rolled[0] == hourly[0]
    for (name_r, eff_r), (name_h, eff_h) in zip(rolled[1], hourly[1], strict=True):
        assert name_r == name_h
        assert (eff_r is None) == (eff_h is None)
        if eff_r is not None:
            assert eff_r == pytest.approx(eff_h, rel=1e-9, abs=1e-12)


@pytest.mark.slow
@given(data=st.data())
@hyp_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_rollups_answer_exactly_what_the_hours_answer(
    warehouses: dict[str, Any], data: st.DataObject
) -> None:
    window = data.draw(windows(warehouses["first"], warehouses["hours"]), label="window")
    filters = data.draw(
        st.one_of(
            st.just({}),
            st.sampled_from(warehouses["teams"]).map(lambda t: {"team": t}),
            st.sampled_from(warehouses["namespaces"]).map(lambda n: {"namespace": n}),
        ),
        label="filters",
    )
    kwargs = {
        "group_by": data.draw(st.sampled_from(GROUPINGS), label="group_by"),
        "filters": filters,
        "basis": data.draw(st.sampled_from(["amortized", "invoice"]), label="basis"),
        "share_idle": data.draw(st.booleans(), label="share_idle"),
        "shared_namespaces": data.draw(
            st.sampled_from([[], ["kube-system"], ["monitoring", "kube-system"]]), label="shared"
        ),
        "scope": data.draw(
            st.one_of(
                st.just(Scope.everything()),
                st.sampled_from(warehouses["teams"]).map(lambda t: Scope(teams=[t])),
            ),
            label="scope",
        ),
        "view": "allocation",
    }
    rolled = _answer(warehouses["rolled"], window, **kwargs)
    hourly = _answer(warehouses["hourly"], window, **kwargs)
    _same(rolled, hourly)
    assert "allocation_daily" not in hourly[2]
    # a whole day of the window inside the allocated hours is read from its rollup
    midnight = window.start + (-window.start.hour % 24) * HOUR
    end = warehouses["first"] + warehouses["hours"] * HOUR
    assert ("allocation_daily" in rolled[2]) == (midnight + DAY <= min(window.end, end))


def test_a_closed_month_read_from_rollups_adds_up_to_the_bill(
    warehouses: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # allocated + idle + unallocated = bill, per basis, with October read from its rollups
    settings = _settings(demo_copy(tmp_path_factory, "month"))
    report = allocate(settings, OCTOBER)
    for rec in report.reconciliation:
        if rec.month != "2026-10":
            continue
        assert rec.difference == 0
        with reader(settings) as con:
            table = query_costs(
                con, window=OCTOBER, group_by="namespace", basis=rec.basis,  # type: ignore[arg-type]
                share_idle=False, shared_namespaces=[], overhead_hourly=Decimal(0),
                settings=settings, view="allocation",
            )  # fmt: skip
        by_kind = {k: sum((r.total for r in table.rows if r.kind == k), Decimal(0))
                   for k in ("workload", "idle", "unallocated")}  # fmt: skip
        assert "allocation_daily" in table.provenance.tables
        assert by_kind == {"workload": rec.allocated, "idle": rec.idle,
                           "unallocated": rec.unallocated}  # fmt: skip
        assert table.totals.total == rec.bill
        assert table.estimated_total == rec.estimated


def _rolled_vs_hours(settings: Settings, window: Window, by: str) -> None:
    """Every built day of ``window`` equals the sum of its hours, group by group."""
    with reader(settings) as con:
        rolled = con.execute(
            f"SELECT day_start, {by}, sum(total_cost), sum(billed_total_cost), sum(hours) "
            "FROM allocation_daily WHERE day_start >= ? AND day_start < ? "
            "GROUP BY ALL ORDER BY ALL",
            [window.start, window.end],
        ).fetchall()
        hours = con.execute(
            f"SELECT CAST(date_trunc('day', hour) AS TIMESTAMP) AS day, {by}, sum(total_cost), "
            "sum(billed_total_cost), count(*) FROM allocations "
            "WHERE hour >= ? AND hour < ? GROUP BY ALL ORDER BY ALL",
            [window.start, window.end],
        ).fetchall()
    assert rolled and rolled == hours


def test_reallocating_some_hours_rebuilds_their_days_exactly(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # New metrics for 3 hours of 2026-10-10 (a new ingest id, 20% more CPU requested) make
    # the day stale; allocating just those hours rebuilds the whole day from its hours.
    settings = _settings(demo_copy(tmp_path_factory, "touched"))
    day = Window(datetime(2026, 10, 10), datetime(2026, 10, 11))
    touched = (datetime(2026, 10, 10, 5), datetime(2026, 10, 10, 8))
    with reader(settings) as con:
        before = con.execute(
            "SELECT sum(total_cost) FROM allocation_daily "
            "WHERE day_start = ? AND kind = 'workload'",
            [day.start],
        ).fetchone()[0]
    with writer(settings) as con:
        con.execute(
            "UPDATE container_hours SET cpu_request_cores = cpu_request_cores * 1.2, "
            "ingest_id = 'reingest' WHERE hour >= ? AND hour < ?",
            list(touched),
        )
    with reader(settings) as con, pytest.raises(StaleAllocation):
        query_costs(con, window=day, settings=settings)
    allocate_touched(settings, *touched)
    with reader(settings) as con:
        after = con.execute(
            "SELECT sum(total_cost) FROM allocation_daily "
            "WHERE day_start = ? AND kind = 'workload'",
            [day.start],
        ).fetchone()[0]
    assert after > before  # more CPU requested in the touched hours, so more allocated
    _rolled_vs_hours(settings, day, "namespace, pod, container, kind, resource")


def test_a_relabelled_pod_rebuilds_its_earlier_days(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Container rows take a pod's team from allocation_pods when read; allocating a later
    # window after the pod's team label changed changes its earlier hours too, so their
    # days' rollups are rebuilt as well.
    settings = _settings(demo_copy(tmp_path_factory, "relabel"))
    with reader(settings) as con:
        cluster, namespace, pod, first, last = con.execute(
            "SELECT cluster, namespace, pod, min(hour), max(hour) FROM container_hours "
            "GROUP BY ALL HAVING max(hour) - min(hour) >= INTERVAL 3 DAY "
            "ORDER BY count(*) DESC, namespace, pod LIMIT 1"
        ).fetchone()
    with writer(settings) as con:
        con.execute(
            "UPDATE k8s_pods SET labels = json_object('team', 'relabelled') "
            "WHERE cluster = ? AND namespace = ? AND pod = ?",
            [cluster, namespace, pod],
        )
    allocate(settings, Window(last.replace(minute=0), last.replace(minute=0) + HOUR))
    early = Window(first.replace(hour=0) + DAY, first.replace(hour=0) + 2 * DAY)
    with reader(settings) as con:
        teams = con.execute(
            "SELECT DISTINCT team FROM allocation_daily WHERE pod = ? AND day_start = ?",
            [pod, early.start],
        ).fetchall()
    assert teams == [("relabelled",)]
    _rolled_vs_hours(settings, early, "namespace, pod, team, kind")


def test_days_never_rolled_up_are_read_from_the_hours() -> None:
    # 2026-10-01 10:00 .. 10-04 06:00 with 10-02 built and 10-03 not: hours for the partial
    # first day, the rollup for 10-02, hours again from 10-03 to the end.
    d = datetime(2026, 10, 2)
    rolled, hourly = plan(Window(d - 14 * HOUR, d + 2 * DAY + 6 * HOUR), frozenset({d}))
    assert rolled == [(d, d + DAY)]
    assert hourly == [(d - 14 * HOUR, d), (d + DAY, d + 2 * DAY + 6 * HOUR)]
    assert plan(Window(d, d + 3 * DAY), frozenset({d, d + 2 * DAY})) == (
        [(d, d + DAY), (d + 2 * DAY, d + 3 * DAY)],
        [(d + DAY, d + 2 * DAY)],
    )
    assert plan(Window(d + HOUR, d + 5 * HOUR), frozenset({d})) == ([], [(d + HOUR, d + 5 * HOUR)])
    # all time: hours before the first built day, between, and after the last
    assert plan(None, frozenset({d, d + 2 * DAY})) == (
        [(d, d + DAY), (d + 2 * DAY, d + 3 * DAY)],
        [(EARLIEST, d), (d + DAY, d + 2 * DAY), (d + 3 * DAY, LATEST)],
    )
    assert plan(None, frozenset()) == ([], [(EARLIEST, LATEST)])


def test_names_and_the_data_span_read_from_rollups_match_the_hours(
    warehouses: dict[str, Any],
) -> None:
    from assistant.costs.coverage import data_span
    from assistant.knowledge.names import load_entities

    seen = []
    for which in ("rolled", "hourly"):
        with reader(warehouses[which]) as con:
            everything = load_entities(con, Scope.everything())
            entities = sorted((e.kind, e.name, e.namespace or "") for e in everything)
            team = warehouses["teams"][0]
            scoped = sorted(e.name for e in load_entities(con, Scope(teams=[team])))
            seen.append((data_span(con), entities, scoped))
    assert seen[0] == seen[1]
    assert seen[0][0][0] == warehouses["first"]
    assert seen[0][1] and seen[0][2]
