"""The shape of a cost answer: rows per group, a TOTAL, estimates apart, and provenance.

``query_costs`` (the allocation view) and ``asset_table`` (the asset view of nodes and
clusters) both return a :class:`CostTable`, so every door renders one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assistant.core.provenance import Provenance
from assistant.costs.ai import AiRow
from assistant.costs.sharing import RESOURCES
from assistant.windows import Window

__all__ = ["COLUMNS", "CostRow", "CostTable", "merge_rows"]

_ZERO = Decimal(0)
COLUMNS = (*RESOURCES, "idle", "shared")


@dataclass
class CostRow:
    name: str
    kind: str  # workload | idle | unallocated | asset | unattached | others | total
    # cpu ram gpu pv lb network other idle shared
    costs: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = _ZERO
    efficiency: float | None = None  # used CPU+RAM cost / CPU+RAM cost
    count: int = 1  # groups folded into this row ('and N more')

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            **{k: self.costs.get(k, _ZERO) for k in COLUMNS},
            "total": self.total,
            "efficiency": self.efficiency,
        }


@dataclass
class CostTable:
    window: Window
    group_by: str
    basis: str
    currency: str
    rows: list[CostRow]
    totals: CostRow
    more: int  # groups folded into the 'and N more' row
    sharing: dict[str, Any]
    unlabeled_cost: Decimal
    unlabeled_share: float | None  # share of workload cost without a team label
    ai: list[AiRow]
    ai_total: Decimal
    provenance: Provenance
    #: priced from the price list (nodes the bill never mentions, hours it does not cover
    #: yet): listed apart, never in ``rows`` or ``totals``
    estimates: list[CostRow] = field(default_factory=list)
    estimated_total: Decimal = _ZERO
    view: str = "allocation"  # allocation | asset (node/cluster: what each cost on the bill)
    idle_share: Decimal | None = None  # __idle__ ÷ the total (None when idle is shared or nil)

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window.to_dict(),
            "view": self.view,
            "group_by": self.group_by,
            "basis": self.basis,
            "currency": self.currency,
            "rows": [r.to_dict() for r in self.rows],
            "totals": self.totals.to_dict(),
            "more": self.more,
            "sharing": self.sharing,
            "unlabeled_cost": self.unlabeled_cost,
            "unlabeled_share": self.unlabeled_share,
            "idle_share": self.idle_share,
            "estimates": [r.to_dict() for r in self.estimates],
            "estimated_total": self.estimated_total,
            "ai_apis": [a.to_dict() for a in self.ai],
            "ai_total": self.ai_total,
            "provenance": self.provenance.model_dump(mode="json"),
        }


def merge_rows(name: str, kind: str, rows: list[CostRow]) -> CostRow:
    costs = {c: sum((r.costs.get(c, _ZERO) for r in rows), _ZERO) for c in COLUMNS}
    return CostRow(
        name=name,
        kind=kind,
        costs=costs,
        total=sum((r.total for r in rows), _ZERO),
        count=sum(r.count for r in rows),
    )
