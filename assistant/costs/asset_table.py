"""The asset view as a :class:`CostTable`: node and cluster questions, whole organisation.

``query_costs`` answers ``--by node|cluster`` with this when :func:`uses_asset_view` says
that is the question; the numbers are ``costs.assets.asset_costs``'s.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from assistant.config import Settings
from assistant.core.placeholders import UNALLOCATED, UNMOUNTED
from assistant.core.scope import Scope
from assistant.costs.assets import ASSET_BY, ASSET_FILTERS, SPECIAL, AssetRow, asset_costs
from assistant.costs.sharing import RESOURCES
from assistant.costs.table import CostRow, CostTable, merge_rows
from assistant.warehouse.db import Connection
from assistant.windows import Window

__all__ = ["asset_table", "uses_asset_view"]

_ZERO = Decimal(0)


def uses_asset_view(group_by: str, filters: dict[str, str], scope: Scope) -> bool:
    """Node and cluster questions mean what each cost on the bill (the asset view) — for
    the whole organisation. A team's scope or a workload filter asks for its share of each
    node instead: the allocation view, where shared idle stays on its own node."""
    return group_by in ASSET_BY and scope.admin and all(k in ASSET_FILTERS for k in filters)


def asset_table(
    con: Connection,
    *,
    window: Window,
    group_by: str,
    filters: dict[str, str],
    basis: Literal["amortized", "invoice"],
    top_n: int | None,
    settings: Settings,
) -> CostTable:
    """The asset view in ``CostTable`` form: allocated CPU/RAM/GPU, PV, LB and other
    (the node's unobserved hours) in their columns, the node's own idle in ``idle``."""
    assets = asset_costs(
        con,
        window=window,
        by=group_by,  # type: ignore[arg-type]
        filters=filters,
        basis=basis,
        top_n=top_n,
        settings=settings,
    )

    def row(a: AssetRow) -> CostRow:
        costs = {r: a.parts.get(r, _ZERO) for r in RESOURCES}
        costs["idle"] = a.idle
        costs["shared"] = _ZERO
        kind = {UNALLOCATED: "unallocated", UNMOUNTED: "unattached"}.get(
            a.name, "others" if a.count > 1 else "unattached" if a.name in SPECIAL else "asset"
        )
        return CostRow(
            name=a.name, kind=kind, costs=costs, total=a.total, efficiency=a.efficiency,
            count=a.count,
        )  # fmt: skip

    rows = [row(a) for a in assets.rows]
    estimates = [row(a) for a in assets.estimates]
    prov = assets.provenance
    description = prov.sharing.get("description", "") if prov.sharing else ""
    sharing: dict[str, Any] = {
        "share_idle": False,
        "shared_namespaces": [],
        "share_split": settings.allocation.share_split,
        "overhead_hourly": "0",
        "overhead_total": "0",
        "shared_namespace_total": "0",
        "description": description,
    }
    prov.sharing = sharing
    return CostTable(
        window=window,
        group_by=group_by,
        basis=basis,
        currency=settings.currency,
        rows=rows,
        totals=merge_rows("TOTAL", "total", rows),
        more=assets.more,
        sharing=sharing,
        unlabeled_cost=_ZERO,
        unlabeled_share=None,
        ai=[],
        ai_total=_ZERO,
        provenance=prov,
        estimates=estimates,
        estimated_total=assets.estimated_total,
        view="asset",
    )
