"""What still costs money while serving no running pod: ``orphaned_resources``.

The detection is :func:`assistant.rightsizing.beyond.orphans` (the same one the
rightsizing report's 'orphans' extra uses); this bounds the list, totals it, and says
which part of the cost is the resources' own bill lines (still billed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.capabilities.common import bounded, freshness, warehouse
from assistant.capabilities.context import Ctx
from assistant.core.provenance import Provenance
from assistant.rightsizing.beyond import Orphan, orphans
from assistant.windows import parse_window

__all__ = ["OrphansReport", "OrphansRequest", "orphaned_resources"]

Kind = Literal["volume", "claim", "load_balancer", "namespace"]
_TABLES = [
    "k8s_pvs",
    "pvc_hours",
    "pod_pvc_hours",
    "billing_lines",
    "service_hours",
    "service_pod_hours",
    "allocations",
    "container_hours",
]


class OrphansRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field(
        "last-month",
        description="Period: 'YYYY-MM', 'last-month', 'this-month', '7d', '30d' or "
        "'START..END' (end exclusive).",
    )
    kinds: list[Kind] = Field(
        default_factory=list,
        description="Only these kinds: 'volume' (a persistent volume bound to no claim), "
        "'claim' (a claim no pod mounted), 'load_balancer' (no backing pods), 'namespace' "
        "(costs money with no running pod). Empty = all. Orphaned volumes are 'volume' and "
        "'claim'.",
    )
    top_n: int | None = Field(
        None, ge=1, le=1000, description="Resources to list, costliest first."
    )


class OrphansReport(BaseModel):
    window: str
    resources: list[Orphan]  # kind, cluster, namespace, name, hours, cost, monthly_cost, …
    count: int
    total_cost: Decimal
    total_from_bill: Decimal  # the part on the resources' own bill lines: still billed
    provenance: Provenance


def orphaned_resources(request: OrphansRequest, ctx: Ctx) -> OrphansReport:
    window = parse_window(request.window, now=ctx.now)
    prov = Provenance(
        tables=list(_TABLES),
        window=window.to_dict(),
        currency=ctx.settings.currency,
        filters={"kinds": list(request.kinds)} if request.kinds else {},
        notes=["monthly = cost in the window × 730 h / window hours"],
    )
    with warehouse(ctx, prov) as con:
        found = orphans(con, window=window, scope=ctx.scope, settings=ctx.settings)
        freshness(con).apply(prov)
    if request.kinds:
        found = [o for o in found if o.kind in request.kinds]
    shown, more = bounded(found, request.top_n)
    prov.row_count = len(shown)
    prov.truncated = more > 0
    return OrphansReport(
        window=window.label(),
        resources=shown,
        count=len(found),
        total_cost=sum((o.cost for o in found if o.cost is not None), Decimal(0)),
        total_from_bill=sum(
            (o.cost for o in found if o.cost is not None and o.price_source == "bill"),
            Decimal(0),
        ),
        provenance=prov,
    )
