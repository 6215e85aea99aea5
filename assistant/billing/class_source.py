"""Where the bill variance reads a window's class rows: rollups for whole days, hours else.

``allocation.class_rollups`` sums each allocated UTC day by what the variance groups by
(``allocation_class_daily``). :func:`class_rows` gives one relation for a window with that
table's key and sum columns: the built days wholly inside the window from the rollup, every
other hour (partial first and last days, days allocated before m008) grouped from the
``allocations`` view the same way, by the same SQL (``class_rollups.grouped_rows``). The
sums are additive over disjoint hours, so grouping the relation again answers exactly what
the hours alone would: ``tests/billing/test_class_rollups.py`` checks it.

As for the daily rollups, callers must have checked the window is fresh
(``freshness.require_fresh``) first.
"""

from __future__ import annotations

from typing import Any

from assistant.allocation.class_rollups import KEY_COLUMNS, SUM_COLUMNS, grouped_rows
from assistant.costs.rollup_source import built_days, plan
from assistant.warehouse.db import Connection
from assistant.warehouse.sql_text import ranges_sql
from assistant.windows import Window

__all__ = ["class_rows"]

_DAYS_TABLE = "allocation_class_rollup_days"


def class_rows(con: Connection, window: Window) -> tuple[str, list[Any]]:
    """(relation SQL, its parameters): the class-rollup rows of ``window``. Use as
    ``FROM {sql} a``; the parameters go where it appears."""
    rolled, hourly = plan(window, built_days(con, window, _DAYS_TABLE))
    columns = ", ".join((*KEY_COLUMNS, *SUM_COLUMNS))
    parts: list[str] = []
    params: list[Any] = []
    if rolled:
        where, p = ranges_sql("day_start", rolled)
        parts.append(f"SELECT {columns} FROM allocation_class_daily WHERE {where}")
        params.extend(p)
    if hourly or not rolled:
        sql, p = grouped_rows("allocations", hourly or [(window.start, window.end)])
        parts.append(f"SELECT {columns} FROM ({sql})")
        params.extend(p)
    return "(" + " UNION ALL ".join(parts) + ")", params
