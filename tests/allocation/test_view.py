"""Container and idle rows are computed when read (the ``allocations`` view), not stored
one by one, and a query refuses when the bill or metrics changed after ``penny allocate``
(or hours with data were never allocated).

Prices as in test_allocate: base CPU 3 / RAM 1, a 2-core 4-GiB node billed $1.00/h, so
p_cpu = 0.30 $/core-h and p_ram = 0.10 $/GiB-h; node CPU 0.60, RAM 0.40.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.allocation.allocate import allocate
from assistant.allocation.freshness import Freshness, check, stale_hours
from assistant.config import Settings, load_settings
from assistant.costs.query import query_costs
from assistant.errors import ConfigError, StaleAllocation
from assistant.warehouse.db import Connection, reader, writer
from assistant.windows import Window
from tests.allocation.alloc_rows import bill, container, h, node

D = Decimal
EASY = {"default_prices": {"cpu_core_hour": "3", "ram_gib_hour": "1", "gpu_hour": "30"}}
DAY = Window(h(0), h(2))


def _two_hours(con: Connection) -> None:
    node(con, "n1", "i-1", cpu=2, ram_gib=4, hours=range(2))
    bill(con, "i-1", h(0), h(2), "2.00")
    for i in range(2):
        container(con, "ns", "p", "c", "n1", i, cpu_req=1, ram_req_gib=1)


def _allocated() -> Settings:
    settings = load_settings(allocation=EASY)
    with writer(settings) as con:
        _two_hours(con)
    allocate(settings)
    return settings


def test_container_rows_are_read_from_the_view_not_stored() -> None:
    # Per hour: container 1 core · 0.30 + 1 GiB · 0.10 = 0.40; idle CPU 0.60 − 0.30 = 0.30,
    # RAM 0.40 − 0.10 = 0.30. Two hours: workload 0.80, idle 1.20, sum 2.00 = the bill.
    settings = _allocated()
    with writer(settings) as con:  # stored: no row per container; idle one row per node-hour
        stored = con.execute(
            "SELECT (SELECT count(*) FROM allocations), (SELECT count(*) FROM allocation_idle)"
        ).fetchall()
    assert stored == [(0, 2)]
    with reader(settings) as con:
        seen = con.execute(
            "SELECT kind, count(*), sum(total_cost) FROM allocations GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert seen == [("idle", 4, D("1.20")), ("workload", 2, D("0.80"))]


def test_hours_not_allocated_show_no_container_rows() -> None:
    # Allocate only hour 0: hour 1's container row exists in container_hours but was not
    # allocated, so the view shows one workload row (0.40) and hour 0's idle (0.60).
    settings = load_settings(allocation=EASY)
    with writer(settings) as con:
        _two_hours(con)
    allocate(settings, Window(h(0), h(1)))
    with reader(settings) as con:
        seen = con.execute(
            "SELECT kind, count(*), sum(total_cost) FROM allocations GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert seen == [("idle", 2, D("0.60")), ("workload", 1, D("0.40"))]


def test_reingested_metrics_are_refused_until_allocate_runs_again() -> None:
    settings = _allocated()
    with reader(settings) as con:
        before = query_costs(con, window=DAY, settings=settings)
        assert check(con, DAY) == Freshness(0, 0, 0)
    assert before.totals.total == D("2.00")
    # Hour 1 re-ingested with a second container: metrics now differ from what allocation saw.
    with writer(settings) as con:
        container(con, "ns", "p2", "c", "n1", 1, cpu_req=1)
    with reader(settings) as con:
        assert check(con, DAY) == Freshness(metrics_changed=1, bill_changed=0, never_allocated=0)
        assert check(con, Window(h(0), h(1))).fresh
        with pytest.raises(StaleAllocation, match="metrics were re-ingested for 1 hour") as err:
            query_costs(con, window=DAY, settings=settings)
    assert "penny allocate --window 2026-10-01T00:00..2026-10-01T02:00" in (err.value.hint or "")
    # Same keys, new ingest id (a re-ingest of hour 0) is a change too.
    with writer(settings) as con:
        con.execute("UPDATE container_hours SET ingest_id = 'again' WHERE hour = ?", [h(0)])
    with reader(settings) as con:
        assert stale_hours(con, DAY) == 2
    report = allocate(settings)
    with reader(settings) as con:
        again = query_costs(con, window=DAY, settings=settings)
        assert stale_hours(con, DAY) == 0
    # Re-allocated: p2 adds 0.30 of CPU in hour 1 and idle CPU drops by the same; total = bill.
    assert again.totals.total == D("2.00") and report.reconciled
    assert {r.name: r.total for r in again.rows} == {"ns": D("1.10"), "__idle__": D("0.90")}


def test_a_restated_bill_is_refused_until_allocate_runs_again() -> None:
    """Issue 10, defect 4: after a restated bill, answers called the old total 'the whole
    bill' with no note. Replacing the line (new ingest id, new amount) makes both hours
    stale; every reader refuses until the hours are allocated again."""
    settings = _allocated()
    with writer(settings) as con:
        con.execute("DELETE FROM billing_lines")
        bill(con, "i-1", h(0), h(2), "2.50")  # restated: $2.50
    with reader(settings) as con:
        assert check(con, DAY) == Freshness(metrics_changed=0, bill_changed=2, never_allocated=0)
        with pytest.raises(StaleAllocation, match="the bill changed"):
            query_costs(con, window=DAY, settings=settings)
    allocate(settings, DAY)
    with reader(settings) as con:
        assert query_costs(con, window=DAY, settings=settings).totals.total == D("2.50")


def test_hours_with_data_never_allocated_are_refused() -> None:
    """Before: ingested but not allocated, `penny costs` printed a fraction of the bill."""
    settings = load_settings(allocation=EASY)
    with writer(settings) as con:
        _two_hours(con)
    allocate(settings, Window(h(0), h(1)))  # hour 1 has metrics and a line, no allocation
    with reader(settings) as con:
        assert check(con, DAY) == Freshness(metrics_changed=0, bill_changed=0, never_allocated=1)
        with pytest.raises(StaleAllocation, match="1 hour\\(s\\) with data were never"):
            query_costs(con, window=DAY, settings=settings)
        # the allocated hour alone is fine
        assert query_costs(con, window=Window(h(0), h(1)), settings=settings).totals.total == D(
            "1.00"
        )


def test_a_warehouse_from_the_old_schema_is_refused_with_a_next_step() -> None:
    settings = _allocated()
    with writer(settings) as con:
        con.execute("DROP TABLE allocation_hours CASCADE")
    with reader(settings) as con:
        assert stale_hours(con, DAY) == 0
    with pytest.raises(ConfigError, match="older allocation schema") as err:
        allocate(settings)
    assert "penny demo" in (err.value.hint or "")
