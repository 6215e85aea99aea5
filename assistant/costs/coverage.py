"""The hours the allocation covers: what every "so far" and "the data ends" is said from."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.costs.rollup_source import cost_rows
from assistant.warehouse.db import Connection

__all__ = ["data_span"]


def data_span(con: Connection) -> tuple[datetime, datetime] | None:
    """(first hour, the hour after the last) of the allocation; None when it is empty."""
    rows, params = cost_rows(con)  # the daily rollups keep each day's first and last hour
    row = con.execute(f"SELECT min(first_hour), max(last_hour) FROM {rows} a", params).fetchone()
    if not row or row[0] is None:
        return None
    return row[0], row[1] + timedelta(hours=1)
