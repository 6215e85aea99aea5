"""Allocate the hours an ingest touched, so the warehouse is never left inconsistent.

Every change to the inputs of an hour — bill lines (new, or a restated billing period) or
cluster metrics — changes what that hour costs and where. ``penny ingest`` hands
:func:`allocate_touched_in` to the ingest as its hook (``ingest.after``), which calls it
inside the ingest's own transaction, so the new inputs and the allocation that spreads
them commit together (or neither does); the sync calls :func:`allocate_touched` once for
every window it touched. ``freshness.require_fresh`` refuses only after an ingest run with
``--no-allocate``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.allocation.allocate import allocate_in
from assistant.allocation.report import AllocationReport
from assistant.config import Settings
from assistant.warehouse.db import Connection, writer
from assistant.windows import Window

__all__ = ["allocate_touched", "allocate_touched_in", "touched_hours"]

_HOUR = timedelta(hours=1)


def touched_hours(start: datetime, end: datetime) -> Window:
    """The whole hours covering ``[start, end)`` (at least one): allocation's unit."""
    first = start.replace(minute=0, second=0, microsecond=0)
    last = end.replace(minute=0, second=0, microsecond=0)
    if last < end:
        last += _HOUR
    return Window(first, max(last, first + _HOUR))


def allocate_touched_in(
    con: Connection, settings: Settings, start: datetime, end: datetime
) -> AllocationReport:
    """Re-allocate the hours of ``[start, end)`` on an open writer connection."""
    return allocate_in(con, settings, touched_hours(start, end))


def allocate_touched(settings: Settings, start: datetime, end: datetime) -> AllocationReport:
    """Re-allocate the hours of ``[start, end)`` in a transaction of its own (after ingests
    run without the hook: the sync, once at its end)."""
    with writer(settings) as con:
        return allocate_touched_in(con, settings, start, end)
