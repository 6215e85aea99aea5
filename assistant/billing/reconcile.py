"""allocated + idle + shared + unallocated = the bill, by cluster, to the cent.

Only rows the bill priced count: an estimate (a node the bill never mentions, priced from
the price list) is not part of the bill and is reported apart by ``explain_bill``. The
allocation table holds unshared facts; "shared" here is the cost of the namespaces
configured as shared (``allocation.shared_namespaces``), shown as its own column so the
table adds up whichever sharing a report later applies. The bill side is Σ EffectiveCost
of the lines overlapping the window, prorated the same way as the allocation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from assistant.billing.loaders import dec
from assistant.billing.models import Reconciliation, ReconRow
from assistant.billing.variance import ZERO
from assistant.core.timestamps import hour, iso_hour
from assistant.costs.rollup_source import cost_rows
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["build_reconciliation", "reconcile"]

CENT = Decimal("0.01")


def reconcile(
    con: Connection, window: Window, *, shared_namespaces: list[str], bill_amortized: Decimal | None
) -> Reconciliation:
    """The window's reconciliation by cluster; its built days are read from the daily
    rollups (``cost_rows``), so the caller must have checked the window is fresh."""
    shared = shared_namespaces or ["\x00none"]
    source, source_params = cost_rows(con, window)
    marks = ", ".join("?" for _ in shared)
    rows = con.execute(
        f"""
        SELECT cluster,
          sum(CASE WHEN kind = 'workload' AND namespace NOT IN ({marks}) THEN total_cost
                   ELSE 0 END),
          sum(CASE WHEN kind = 'idle' THEN total_cost ELSE 0 END),
          sum(CASE WHEN kind = 'workload' AND namespace IN ({marks}) THEN total_cost
                   ELSE 0 END),
          sum(CASE WHEN kind = 'unallocated' THEN total_cost ELSE 0 END),
          sum(total_cost), sum(billed_total_cost), min(first_hour), max(last_hour)
        FROM {source} a WHERE coalesce(price_source, 'bill') = 'bill'
        GROUP BY cluster ORDER BY cluster
        """,
        [*shared, *shared, *source_params],
    ).fetchall()
    return build_reconciliation(rows, window, shared_namespaces, bill_amortized)


def build_reconciliation(
    rows: list[tuple[Any, ...]],
    window: Window,
    shared_namespaces: list[str],
    bill_amortized: Decimal | None,
) -> Reconciliation:
    out = []
    for cluster, alloc, idle, shared, unalloc, total, billed, first, last in rows:
        note = None
        if first is not None and (first - window.start).total_seconds() >= 86400:
            note = f"first data {hour(first)} (appeared mid-period)"
        out.append(
            ReconRow(
                cluster=cluster,
                allocated=dec(alloc),
                idle=dec(idle),
                shared=dec(shared),
                unallocated=dec(unalloc),
                total=dec(total),
                billed_total=dec(billed),
                first_hour=f"{iso_hour(first)}",
                last_hour=f"{iso_hour(last)}",
                note=note,
            )
        )
    total = sum((r.total for r in out), ZERO)
    diff = None if bill_amortized is None else bill_amortized - total
    return Reconciliation(
        rows=out,
        allocated=sum((r.allocated for r in out), ZERO),
        idle=sum((r.idle for r in out), ZERO),
        shared=sum((r.shared for r in out), ZERO),
        unallocated=sum((r.unallocated for r in out), ZERO),
        total=total,
        bill_amortized=bill_amortized,
        difference=diff,
        reconciled=diff is not None and abs(diff) < Decimal("0.005"),
        shared_namespaces=list(shared_namespaces),
    )
