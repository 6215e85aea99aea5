"""Has the bill or the cluster data changed since ``penny allocate``? One check, every reader.

Container rows are computed when read (the ``allocations`` view), but idle, unallocated
and the unit prices were fixed when allocation ran. If metrics are re-ingested or the bill
is restated afterwards, the view would mix new inputs with old prices and idle, and the
identity workload + idle + unallocated = bill would no longer hold; hours with data that
were never allocated would simply be missing from every total. So allocation records, per
hour, a fingerprint of the metrics and of the bill lines it saw (``allocation_hours``), and
:func:`require_fresh` — called by every core reader (costs, trend, assets, the bill,
comparisons, anomalies, GPU, rightsizing) — compares them with what is stored now and
refuses with :class:`StaleAllocation` naming the hours and the command that fixes it.

Fingerprints are a row count and the XOR of per-row hashes:

* metrics: key and ingest id over ``container_hours`` and ``node_hours`` (re-ingesting an
  hour writes a new ingest id; adding or removing a row changes both numbers);
* bill: ingest id, file and row of every line whose prorated hours include the hour (the
  same hours as ``node_costs.build_bill_hours``); a restated billing period replaces its
  lines with new ingest ids.

``penny ingest`` allocates the hours it touched in the same transaction
(``allocation.touched``), so a warehouse is only stale after ``--no-allocate``.

The fingerprints and the per-hour verdict live in ``warehouse.stale_hours``: every commit
records the stale hours there, and a reader's check counts them from that record instead
of hashing the window's container-hours again (a connection that may write still scans).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.config import Settings
from assistant.errors import StaleAllocation
from assistant.warehouse.db import Connection
from assistant.warehouse.memo import memo
from assistant.warehouse.stale_hours import (
    BILL_FINGERPRINT_SQL,
    COUNTS,
    FINGERPRINT_SQL,
    VERDICTS_SQL,
    allocation_hours_columns,
    recorded_counts,
)
from assistant.windows import Window

__all__ = [
    "BILL_FINGERPRINT_SQL",
    "FINGERPRINT_SQL",
    "STALE_NOTE",
    "Freshness",
    "check",
    "require_fresh",
    "stale_hours",
    "stale_note",
]

STALE_NOTE = (
    "metrics changed since the last `penny allocate` for {hours} hour(s) of this "
    "window: costs may not add up to the bill; run `penny allocate`"
)


@dataclass(frozen=True)
class Freshness:
    """Hours of a window whose allocation no longer matches its inputs, by reason."""

    metrics_changed: int  # allocated hours whose metrics differ from what allocation saw
    bill_changed: int  # allocated hours whose bill lines differ (restated, new lines)
    never_allocated: int  # hours with bill lines or metrics but no allocation at all

    @property
    def fresh(self) -> bool:
        return not (self.metrics_changed or self.bill_changed or self.never_allocated)


def check(con: Connection, window: Window | tuple[datetime, datetime]) -> Freshness:
    """How many hours of ``window`` are stale or missing, per reason."""
    start, end = (window.start, window.end) if isinstance(window, Window) else window
    row = recorded_counts(con, start, end)  # what the last commit recorded, when it may
    if row is None:
        columns = allocation_hours_columns(con)
        if not columns:  # a warehouse from before m004 (see allocate)
            return Freshness(0, 0, 0)
        if "bill_rows" not in columns:  # allocated before bill fingerprints (m006): re-allocate
            old = con.execute(
                "SELECT count(*) FROM main.allocation_hours WHERE hour >= $1 AND hour < $2",
                [start, end],
            ).fetchone()
            return Freshness(0, int(old[0]) if old else 0, 0)
        row = con.execute(f"SELECT {COUNTS} FROM ({VERDICTS_SQL})", [start, end]).fetchone()
    never, metrics, bill = (int(v or 0) for v in row) if row else (0, 0, 0)
    return Freshness(metrics_changed=metrics, bill_changed=bill, never_allocated=never)


def require_fresh(con: Connection, window: Window, settings: Settings | None = None) -> None:
    """Refuse (:class:`StaleAllocation`) when ``window``'s costs would not add up to the
    bill: every core reader calls this before it reads ``allocations``.

    With ``settings`` the answer is kept until the warehouse changes (``memo``): one
    question reads the same closed months several times, and a writer's own check scans
    the window's fingerprints (tens of milliseconds a month); any write, which is what
    makes hours stale, drops it.
    """
    if settings is None:
        state = check(con, window)
    else:
        state = memo(settings, ("freshness", window.start, window.end), lambda: check(con, window))
    if state.fresh:
        return
    parts = []
    if state.bill_changed:
        parts.append(f"the bill changed (restated or new lines) for {state.bill_changed} hour(s)")
    if state.metrics_changed:
        parts.append(f"metrics were re-ingested for {state.metrics_changed} hour(s)")
    if state.never_allocated:
        parts.append(f"{state.never_allocated} hour(s) with data were never allocated")
    raise StaleAllocation(
        f"Costs for {window.label()} would not add up to the bill: since `penny allocate` "
        + "; ".join(parts)
        + ".",
        hint=f"Run `penny allocate --window {window.label()}` (or `penny allocate` for "
        "everything); `penny ingest` does this itself unless run with --no-allocate.",
        window=window.label(),
        bill_changed_hours=state.bill_changed,
        metrics_changed_hours=state.metrics_changed,
        never_allocated_hours=state.never_allocated,
    )


def stale_note(con: Connection, window: Window) -> str | None:
    """The loud note for views that estimate rather than total (rightsizing savings are
    priced at the allocation's unit prices): what changed since allocation, or None."""
    state = check(con, window)
    if state.fresh:
        return None
    changed = state.metrics_changed + state.bill_changed + state.never_allocated
    return (
        f"STALE: the bill or metrics of {changed} hour(s) in {window.label()} changed since "
        "`penny allocate` (or were never allocated): prices and dollars here may be out of "
        f"date; run `penny allocate --window {window.label()}`"
    )


def stale_hours(con: Connection, window: Window | tuple[datetime, datetime]) -> int:
    """How many allocated hours in ``window`` whose metrics differ from what allocation saw."""
    return check(con, window).metrics_changed
