"""Stale hours recorded at commit equal a window's scan (warehouse/stale_hours.py).

Readers count a window's stale hours from ``stale_hours``, which ``writer()`` fills just
before it commits, instead of hashing every container-hour of the window again. The
contract: for any window, the recorded counts equal what the scan finds, and a
connection that may write always scans (its transaction may have changed the inputs).

Planted on a copy of the small demo (allocated, every hour fresh), one reason each:
* metrics: the container rows of 2026-10-10 05:00 get a new ingest id (a re-ingest);
* bill: one usage line's ingest id changes (a restatement): every hour it is prorated into;
* never allocated: the allocation record of 2026-10-20 12:00 is deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from assistant.allocation.freshness import Freshness, check
from assistant.config import Settings, load_settings
from assistant.warehouse.db import reader, writer
from assistant.warehouse.stale_hours import COUNTS, VERDICTS_SQL, recorded_counts
from tests.demo_warehouse import SMALL_END, demo_copy

pytestmark = pytest.mark.slow

METRICS_HOUR = datetime(2026, 10, 10, 5)
NEVER_HOUR = datetime(2026, 10, 20, 12)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[datetime]]:
    home = demo_copy(tmp_path_factory, "stale-recorded", SMALL_END)
    settings = load_settings(home=home, db=home / "penny.duckdb", now=datetime(2026, 11, 20))
    with writer(settings) as con:
        con.execute(
            "UPDATE container_hours SET ingest_id = 'planted-reingest' WHERE hour = ?",
            [METRICS_HOUR],
        )
        line = con.execute(
            "SELECT source_file, source_row, charge_period_start, charge_period_end "
            "FROM billing_lines WHERE charge_category = 'Usage' "
            "AND charge_period_start >= '2026-10-03' ORDER BY charge_period_start, "
            "source_file, source_row LIMIT 1"
        ).fetchone()
        assert line is not None
        con.execute(
            "UPDATE billing_lines SET ingest_id = 'planted-restatement' "
            "WHERE source_file = ? AND source_row = ?",
            [line[0], line[1]],
        )
        con.execute("DELETE FROM allocation_hours WHERE hour = ?", [NEVER_HOUR])
    start, end = line[2], line[3]
    bill_hours = [
        start + timedelta(hours=i) for i in range(int((end - start) / timedelta(hours=1)))
    ]
    return settings, bill_hours


def _scan(con: object, start: datetime, end: datetime) -> tuple[int, int, int]:
    row = con.execute(f"SELECT {COUNTS} FROM ({VERDICTS_SQL})", [start, end]).fetchone()  # type: ignore[attr-defined]
    return int(row[0]), int(row[1]), int(row[2])


def test_the_planted_hours_are_recorded_with_their_reasons(
    planted: tuple[Settings, list[datetime]],
) -> None:
    settings, bill_hours = planted
    everything = (datetime(2026, 1, 1), datetime(2027, 1, 1))
    with reader(settings) as con:
        # (never allocated, metrics changed, bill changed): one hour, one hour, and each
        # hour the restated line covers (a line of whole hours, none of them the others)
        assert recorded_counts(con, *everything) == (1, 1, len(bill_hours))
        assert _scan(con, *everything) == (1, 1, len(bill_hours))
        assert check(con, (METRICS_HOUR, METRICS_HOUR + timedelta(hours=1))) == Freshness(
            metrics_changed=1, bill_changed=0, never_allocated=0
        )
        assert check(con, (NEVER_HOUR, NEVER_HOUR + timedelta(hours=1))).never_allocated == 1
        assert check(con, (datetime(2026, 11, 1), datetime(2026, 11, 20))).fresh


hours = st.integers(0, 60 * 24).map(lambda h: datetime(2026, 9, 25) + timedelta(hours=h))


@hyp_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=hours, b=hours)
def test_recorded_counts_equal_the_scan_for_any_window(
    planted: tuple[Settings, list[datetime]], a: datetime, b: datetime
) -> None:
    settings, _ = planted
    start, end = min(a, b), max(a, b) + timedelta(hours=1)
    with reader(settings) as con:
        assert recorded_counts(con, start, end) == _scan(con, start, end)


def test_a_connection_that_may_write_scans(planted: tuple[Settings, list[datetime]]) -> None:
    """Inside a write the recorded table is the last commit's: the writer's own check must
    see what its transaction changed (here: one more hour with no allocation record)."""
    settings, _ = planted
    later = datetime(2026, 11, 5, 3)
    window = (later, later + timedelta(hours=1))
    with writer(settings) as con:
        assert recorded_counts(con, *window) is None
        con.execute("DELETE FROM allocation_hours WHERE hour = ?", [later])
        assert check(con, window).never_allocated == 1
        con.execute("ROLLBACK")  # leave the planted warehouse as it was
        con.execute("BEGIN TRANSACTION")
    with reader(settings) as con:
        assert check(con, window).fresh
