"""Where a window's allocation rows are read: daily rollups for whole days, hours for the rest.

``allocation.rollups`` sums each allocated UTC day into ``allocation_daily``. A reader
asks :func:`cost_rows` for a window (or all time) and gets one relation, aliased by the
caller, with the rollup's columns (those of ``allocations`` of the same names, plus
``hours``, ``first_hour``, ``last_hour``, ``used_cost`` and ``billed_used_cost``): the
built days wholly inside the window from the rollup, every other hour (the window's
partial first and last days, days never rolled up) from the hourly ``allocations`` view
shaped the same way (``rollups.row_columns``). Summing either gives the same money, so
grouping over the relation answers exactly what the hours would — in a twenty-fourth of
the rows for a month of one-container pods.

Readers must have called ``freshness.require_fresh`` for the window: a rollup holds what
its hours held when allocated, and only a fresh window guarantees that is what they hold
now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from assistant.allocation.rollups import row_columns
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import ranges_sql
from assistant.windows import Window

__all__ = ["DAYS_TABLES", "EARLIEST", "LATEST", "built_days", "cost_rows", "plan"]

_DAY = timedelta(days=1)
#: the bounds of "all time" (both engines' TIMESTAMP range)
EARLIEST = datetime(1, 1, 1)
LATEST = datetime(9999, 1, 1)


def _ceil_day(t: datetime) -> datetime:
    floor = t.replace(hour=0, minute=0, second=0, microsecond=0)
    return floor if floor == t else floor + _DAY


#: the days table of each rollup: ``allocation_daily`` (m007) and the bill variance's
#: ``allocation_class_daily`` (m008)
DAYS_TABLES = ("allocation_rollup_days", "allocation_class_rollup_days")


def _has_rollups(con: Connection, days_table: str) -> bool:
    """Whether the warehouse has the rollup's tables: a snapshot written before their
    migration (a warehouse nobody has written since the upgrade) is read from its hours."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = ?", [days_table]
    ).fetchall()
    return bool(rows and rows[0][0])


def built_days(
    con: Connection, window: Window | None = None, days_table: str = DAYS_TABLES[0]
) -> frozenset[datetime]:
    """The days of ``window`` (default: all time) that a rollup holds: by default
    ``allocation_daily``'s; ``days_table`` names another rollup's (:data:`DAYS_TABLES`)."""
    if days_table not in DAYS_TABLES:
        raise ValueError(f"not a rollup days table: {days_table!r}")
    if not _has_rollups(con, days_table):
        return frozenset()
    if window is None:
        rows = con.execute(f"SELECT DISTINCT day_start FROM {days_table}").fetchall()
        return frozenset(r[0] for r in rows)
    first = _ceil_day(window.start)
    last = window.end.replace(hour=0, minute=0, second=0, microsecond=0)
    if first >= last:
        return frozenset()
    rows = con.execute(
        f"SELECT DISTINCT day_start FROM {days_table} WHERE day_start >= ? AND day_start < ?",
        [first, last],
    ).fetchall()
    return frozenset(r[0] for r in rows)


Ranges = list[tuple[datetime, datetime]]


def plan(window: Window | None, days: frozenset[datetime]) -> tuple[Ranges, Ranges]:
    """(rollup day ranges, hour ranges): ``window`` (None: all time, from ``EARLIEST`` to
    ``LATEST``) split into runs of consecutive built whole days and the runs of hours
    between them; both half-open, together the window."""
    if window is None:
        if not days:
            return [], [(EARLIEST, LATEST)]
        inner_rolled, inner_hourly = plan(Window(min(days), max(days) + _DAY), days)
        outer = [(EARLIEST, min(days)), *inner_hourly, (max(days) + _DAY, LATEST)]
        return inner_rolled, _join(outer)
    rolled: Ranges = []
    hourly: Ranges = []
    cursor = window.start
    day = _ceil_day(window.start)
    while day + _DAY <= window.end:
        if day in days:
            hourly.append((cursor, day))
            rolled.append((day, day + _DAY))
            cursor = day + _DAY
        day += _DAY
    hourly.append((cursor, window.end))
    return _join(rolled), _join(hourly)


def _join(ranges: Ranges) -> Ranges:
    """Empty ranges dropped, touching ones merged."""
    out: Ranges = []
    for s, e in ranges:
        if s >= e:
            continue
        if out and out[-1][1] == s:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def cost_rows(con: Connection, window: Window | None = None) -> tuple[str, list[Any]]:
    """(relation SQL, its parameters): the allocation rows of ``window`` (default: all
    time), rollup-shaped. Use as ``FROM {sql} a``; the parameters go where it appears."""
    rolled, hourly = plan(window, built_days(con, window))
    parts: list[str] = []
    params: list[Any] = []
    if rolled:
        where, p = ranges_sql("day_start", rolled)
        parts.append(f"SELECT * FROM allocation_daily WHERE {where}")
        params.extend(p)
    if hourly or not rolled:
        where, p = ranges_sql("h.hour", hourly or [(EARLIEST, LATEST)])
        parts.append(f"SELECT {row_columns('h', 'h.hour')} FROM allocations h WHERE {where}")
        params.extend(p)
    return "(" + " UNION ALL ".join(parts) + ")", params
