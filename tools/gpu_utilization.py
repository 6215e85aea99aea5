"""gpu_utilization: GPU-hours, activity and idle GPU cost per group, or the idle GPUs."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from assistant.core.provenance import Provenance
from assistant.rightsizing.gpu import gpu_utilization as utilisation
from assistant.rightsizing.gpu import idle_gpus
from assistant.rightsizing.savings import to_cents
from assistant.warehouse.db import reader
from assistant.windows import parse_window
from tools.registry import ToolContext, tool
from tools.result import ToolResult
from tools.rightsizing import freshness

__all__ = ["Args", "gpu_utilization"]


class Args(BaseModel):
    window: str = Field(
        "7d",
        description="Period: '7d', '24h', 'YYYY-MM', 'last-month', or "
        "'START..END' (end exclusive).",
    )
    by: Literal["workload", "pod", "namespace", "team", "model", "node"] = Field(
        "workload", description="Group GPU use by this dimension."
    )
    idle_only: bool = Field(
        False,
        description="true = list the idle GPUs themselves (device, "
        "pod, owner, team, idle hours and cost) instead of groups.",
    )
    top_n: int = Field(10, ge=1, le=100, description="Rows to return, costliest idle first.")


@tool("gpu_utilization", Args)
def gpu_utilization(args: Args, ctx: ToolContext) -> ToolResult:
    """GPU use and waste from DCGM metrics: per workload/pod/namespace/team/model/node the
    GPU-hours (MIG slices and time-sliced GPUs count by their share of the physical GPU),
    average activity (DCGM_FI_PROF_GR_ENGINE_ACTIVE, or DCGM_FI_DEV_GPU_UTIL where profiling
    metrics are absent), the GPU-hours spent idle in sustained runs (below the configured
    threshold for at least the configured hours) and their cost as exact decimal strings.
    With idle_only=true: each idle GPU with its pod, owning workload, team, idle hours, cost,
    and whether low power draw confirms it."""
    settings = ctx.settings
    window = parse_window(args.window, now=ctx.now)
    if not settings.db_path.exists():
        return ToolResult.no_data("No warehouse yet: run `penny demo` first.")
    rs = settings.rightsizing
    prov = Provenance(
        tables=["gpu_hours", "k8s_pods", "node_cost_hours", "allocations"],
        window=window.to_dict(),
        currency=settings.currency,
        group_by=args.by,
        notes=[
            f"idle = activity < {rs.gpu_idle_threshold_pct:g}% for ≥ "
            f"{rs.gpu_idle_min_hours} consecutive hours",
            "cost = GPU share × the node's $/GPU-hour from the allocation",
        ],
    )
    with reader(settings) as con:
        prov.freshness = freshness(con)
        if args.idle_only:
            found = idle_gpus(con, window=window, scope=ctx.scope, settings=settings)
            rows = [g.to_dict() for g in found[: args.top_n]]
            total = sum((g.idle_cost for g in found), Decimal(0))
            count = len(found)
        else:
            groups = utilisation(con, window=window, by=args.by, scope=ctx.scope, settings=settings)
            rows = [
                {k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()}
                for r in groups[: args.top_n]
            ]
            total = sum((r["idle_cost"] for r in groups), Decimal(0))
            count = len(groups)
    if count == 0:
        return ToolResult.no_data(
            f"No GPU {'idle time' if args.idle_only else 'metrics'} in {window.label()} that "
            "you may see." + ("" if args.idle_only else " Is DCGM exporter scraped?"),
            prov,
        )
    prov.row_count = count
    prov.truncated = count > len(rows)
    return ToolResult.success(
        {
            "window": window.label(),
            "rows": rows,
            "idle_cost_total": str(to_cents(total)),
            "rows_total": count,
        },
        prov,
    )
