"""What ``penny allocate`` reports: per month and basis, bill = allocated + idle +
unallocated, with estimates (price-list costs, not on the bill) beside it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["AllocationReport", "MonthReconciliation", "reconcile_run"]


@dataclass
class MonthReconciliation:
    """One month, one basis: bill = allocated + idle + unallocated (difference 0)."""

    month: str
    basis: str  # amortized | invoice
    bill: Decimal
    allocated: Decimal
    idle: Decimal
    unallocated: Decimal
    estimated: Decimal  # costed from the price list: not on the bill, not reconciled

    @property
    def difference(self) -> Decimal:
        return self.bill - (self.allocated + self.idle + self.unallocated)


@dataclass
class AllocationReport:
    run_id: str
    window: Window
    rows: int
    node_hours: int
    container_hours: int
    seconds: float
    price_sources: dict[str, int] = field(default_factory=dict)  # node-hours per source
    reconciliation: list[MonthReconciliation] = field(default_factory=list)
    #: node-hours of billed nodes with no bill line in the bill's coverage: cost 0 (bill)
    unbilled_node_hours: int = 0
    #: seconds per phase of the run, in order (where allocation's time goes)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def reconciled(self) -> bool:
        return all(r.difference == 0 for r in self.reconciliation)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["window"] = self.window.to_dict()
        out["reconciled"] = self.reconciled
        for rec, raw in zip(self.reconciliation, out["reconciliation"], strict=True):
            raw["difference"] = rec.difference
        return out


def reconcile_run(con: Connection, run_id: str) -> list[MonthReconciliation]:
    """Per month and basis, from the run's temp tables (``_bill_hours``, ``_used``) and
    stored rows; estimated rows (price list) are their own column, never allocated."""
    bill = {
        m: (e, b)
        for m, e, b in con.execute(
            "SELECT strftime(hour, '%Y-%m'), sum(eff), sum(bil) FROM _bill_hours GROUP BY 1"
        ).fetchall()
    }
    parts: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for m, kind, e, b in con.execute(
        """
        SELECT strftime(hour, '%Y-%m'),
               CASE WHEN price_source = 'bill' THEN kind ELSE 'estimated' END,
               sum(e), sum(b)
        FROM (SELECT hour, kind, price_source, total_cost AS e, billed_total_cost AS b
              FROM allocations WHERE run_id = $1
              UNION ALL
              SELECT hour, 'idle', price_source, cpu_cost + ram_cost + gpu_cost,
                     billed_cpu_cost + billed_ram_cost + billed_gpu_cost
              FROM allocation_idle WHERE run_id = $1
              UNION ALL
              SELECT hour, 'workload', price_source, c + r + g, bc + br + bg FROM _used)
        GROUP BY ALL
        """,
        [run_id],
    ).fetchall():
        parts[(m, kind)] = (e, b)
    months = sorted(set(bill) | {m for m, _ in parts})
    zero = Decimal(0)
    out = []
    for month in months:
        for i, basis in enumerate(("amortized", "invoice")):

            def get(kind: str, month: str = month, i: int = i) -> Decimal:
                value = parts.get((month, kind), (zero, zero))[i]
                return Decimal(value) if value is not None else zero

            out.append(
                MonthReconciliation(
                    month=month,
                    basis=basis,
                    bill=Decimal(bill.get(month, (zero, zero))[i] or 0),
                    allocated=get("workload"),
                    idle=get("idle"),
                    unallocated=get("unallocated"),
                    estimated=get("estimated"),
                )
            )
    return out
