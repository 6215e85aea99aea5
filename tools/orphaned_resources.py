"""orphaned_resources: what still costs money while serving no running pod."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.rightsizing.beyond import orphans
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tools.registry import ToolContext, tool
from tools.result import ToolResult

__all__ = ["Args", "orphaned_resources"]

Kind = Literal["volume", "claim", "load_balancer", "namespace"]


class Args(BaseModel):
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
    top_n: int = Field(20, ge=1, le=200, description="Resources to list, costliest first.")


@tool("orphaned_resources", Args)
def orphaned_resources(args: Args, ctx: ToolContext) -> ToolResult:
    """Resources that cost money in the window while serving no running pod: persistent
    volumes bound to no claim and claims no pod mounted (orphaned volumes, with their own
    bill line's cost when the bill has one, else the storage price list), LoadBalancer
    services with no backing pods, and namespaces that cost money with no running pod.
    Each has its cost in the window, a monthly figure (× 730 h / window hours), where the
    price came from (bill, price_list, allocation) and the evidence. Unbound volumes
    belong to no namespace, so only admins see them."""
    window = parse_window(args.window, now=ctx.now)
    prov = Provenance(
        tables=[
            "k8s_pvs",
            "pvc_hours",
            "pod_pvc_hours",
            "billing_lines",
            "service_hours",
            "service_pod_hours",
            "allocations",
            "container_hours",
        ],
        window=window.to_dict(),
        currency=ctx.settings.currency,
        filters={"kinds": list(args.kinds)} if args.kinds else {},
        notes=["monthly = cost in the window × 730 h / window hours"],
    )
    if not ctx.settings.db_path.exists():
        return ToolResult.no_data(f"No warehouse at {ctx.settings.db_path}: run `penny demo`.")
    with reader(ctx.settings) as con:
        found = orphans(con, window=window, scope=ctx.scope, settings=ctx.settings)
    if args.kinds:
        found = [o for o in found if o.kind in args.kinds]
    shown = found[: args.top_n]
    billed = [o.cost for o in found if o.cost is not None]
    prov.row_count = len(shown)
    prov.truncated = len(found) > len(shown)
    return ToolResult.success(
        {
            "window": window.label(),
            "resources": [o.to_dict() for o in shown],
            "count": len(found),
            "total_cost": sum(billed, Decimal(0)),
            "total_from_bill": sum(
                (o.cost for o in found if o.cost is not None and o.price_source == "bill"),
                Decimal(0),
            ),
        },
        prov,
    )
