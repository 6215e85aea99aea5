"""The hours the allocation covers: what every "so far" and "the data ends" is said from."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.warehouse.db import Connection

__all__ = ["data_span"]


def data_span(con: Connection) -> tuple[datetime, datetime] | None:
    """(first hour, the hour after the last) of the allocation; None when it is empty."""
    row = con.execute("SELECT min(hour), max(hour) FROM allocations").fetchone()
    if not row or row[0] is None:
        return None
    return row[0], row[1] + timedelta(hours=1)
